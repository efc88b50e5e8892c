"""The WSGI application ``downline serve`` runs: Django, with the collected static files
(the admin's CSS and JavaScript) served by WhiteNoise in front of it."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "downline.settings.base")

from django.conf import settings
from whitenoise import WhiteNoise

from downline.core.static_headers import add_static_headers
from downline.wsgi import application as django_application

application = WhiteNoise(
    django_application,
    root=str(settings.STATIC_ROOT),
    prefix=settings.STATIC_URL,
    add_headers_function=add_static_headers,  # nosniff: static files skip Django's middleware
)
