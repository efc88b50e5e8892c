"""Signatures per the Standard Webhooks specification (standardwebhooks.com).

A secret is ``whsec_`` followed by the base64 of 24 random bytes; the key is those bytes. Each
request carries ``webhook-id`` (the event id, the same on every retry), ``webhook-timestamp``
(Unix seconds of this attempt) and ``webhook-signature``: ``v1,`` and the base64 of
HMAC-SHA256(key, ``"{id}.{timestamp}.{body}"``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh ``whsec_…`` secret (24 random bytes)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def key_of(secret: str) -> bytes:
    """The key bytes of ``secret`` (with or without the ``whsec_`` prefix)."""
    text = secret.removeprefix(PREFIX)
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError("a webhook secret is whsec_ followed by base64") from error


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of one request."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one request."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def verify(secret: str, message_id: str, timestamp: int, body: bytes, signature: str) -> bool:
    """True when one of the space-separated ``v1,`` signatures in ``signature`` matches (what a
    receiver does; the tests use it)."""
    expected = sign(secret, message_id, timestamp, body)
    return any(hmac.compare_digest(expected, part) for part in signature.split())
