"""Headers WhiteNoise adds to every static file it serves (``downline.demo.wsgi``).

Static files never reach Django's middleware, so ``SECURE_CONTENT_TYPE_NOSNIFF`` does not cover
them: ``X-Content-Type-Options: nosniff`` is added here, so a browser never runs an uploaded or
mislabelled file as a script or style sheet because its content looks like one.
"""

from __future__ import annotations

from wsgiref.headers import Headers


def add_static_headers(headers: Headers, path: str, url: str) -> None:
    """WhiteNoise's ``add_headers_function``: ``nosniff`` on every static file."""
    headers["X-Content-Type-Options"] = "nosniff"
