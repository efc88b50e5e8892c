"""Webhook signatures of the shops.

Shopify (``X-Shopify-Hmac-Sha256``) and WooCommerce (``X-WC-Webhook-Signature``) both sign a
webhook with base64(HMAC-SHA256(secret, raw body)). The header is compared with the expected
value in constant time; a missing header is a bad signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_HEADERS = {
    "shopify": "X-Shopify-Hmac-Sha256",
    "woocommerce": "X-WC-Webhook-Signature",
}
TOPIC_HEADERS = {
    "shopify": "X-Shopify-Topic",
    "woocommerce": "X-WC-Webhook-Topic",
}


def sign(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(``secret``, ``body``)), as both shops send it."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def is_signed(secret: str, body: bytes, signature: str | None) -> bool:
    """True when ``signature`` is the signature of ``body`` under ``secret``."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(sign(secret, body).encode(), signature.strip().encode())
