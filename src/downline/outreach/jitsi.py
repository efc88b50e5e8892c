"""Jitsi meeting links with signed tokens (JWT, HS256), as Jitsi's ``token`` authentication
(prosody ``app_id``/``app_secret``) expects: ``aud`` "jitsi", ``iss`` the app id, ``sub`` the
server's domain, ``room`` the room, ``exp``, and ``context.user``.

Settings: ``DOWNLINE_JITSI_URL`` (https://meet.example.com), ``DOWNLINE_JITSI_APP_ID``,
``DOWNLINE_JITSI_SECRET``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

import jwt
from django.conf import settings


class JitsiError(RuntimeError):
    pass


def join_url(
    room: str, *, name: str, email: str, user_id: str, until: datetime, moderator: bool = False
) -> str:
    base = getattr(settings, "DOWNLINE_JITSI_URL", "").rstrip("/")
    app_id = getattr(settings, "DOWNLINE_JITSI_APP_ID", "")
    secret = getattr(settings, "DOWNLINE_JITSI_SECRET", "")
    if not (base and app_id and secret):
        raise JitsiError(
            "DOWNLINE_JITSI_URL, DOWNLINE_JITSI_APP_ID and DOWNLINE_JITSI_SECRET must be set"
        )
    claims = {
        "aud": "jitsi",
        "iss": app_id,
        "sub": urlsplit(base).hostname or "*",
        "room": room,
        "exp": int((until + timedelta(hours=1)).timestamp()),
        "context": {"user": {"id": user_id, "name": name, "email": email, "moderator": moderator}},
    }
    token = jwt.encode(claims, secret, algorithm="HS256")
    return f"{base}/{quote(room)}?jwt={token}"


def decode(token: str) -> dict:
    secret = getattr(settings, "DOWNLINE_JITSI_SECRET", "")
    return jwt.decode(token, secret, algorithms=["HS256"], audience="jitsi")
