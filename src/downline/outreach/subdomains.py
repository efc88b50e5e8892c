"""Capture pages at their own subdomain: ``https://<slug>.<DOWNLINE_PAGES_DOMAIN>/``.

With ``DOWNLINE_PAGES_DOMAIN`` set (e.g. ``pages.example.com``; a port may follow,
``pages.localhost:8000``), ``PageSubdomainMiddleware`` serves a request for
``<slug>.pages.example.com`` with the page's own routes (the same views as ``/p/<slug>/``):

=============================================  ==============================================
path on ``<slug>.pages.example.com``           served as
=============================================  ==============================================
``/``                                          ``/p/<slug>/`` (the page and its form's post)
``/photo``, ``/qr.png``, ``/qr.svg``           ``/p/<slug>/photo``, ``/p/<slug>/qr.png`` …
``/p/<slug>/…``, ``/static/…``, ``/media/…``,  as they are: what the page itself links to
``/lead/…``, ``/accounts/language/``,
``/favicon.ico``
anything else                                  302 to the same path on the main site
                                               (``DOWNLINE_SITE_URL``)
=============================================  ==============================================

Only ``request.path_info`` (what the URL resolver reads) is mapped; ``request.path`` stays the
address the visitor asked for. An unknown slug is the page view's 404. A host that is not one
label under the pages domain (the bare domain, ``a.b.pages.example.com``) goes to the main
site; other hosts (the main site) are not touched. The host is checked against
``ALLOWED_HOSTS`` first (``request.get_host``), so the pages domain must be allowed there.

``page_address(slug)`` is a page's public address: the subdomain when the setting is on, else
``/p/<slug>/`` on the main site; share links, QR codes and the sequences' ``{{page_url}}`` use
it. The scheme is the main site's (``DOWNLINE_SITE_URL``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.request import split_domain_port
from django.urls import reverse

from .mail import site_url

SLUG = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,78}[a-z0-9])?$")
MAPPED = {"/": "", "/photo": "photo", "/qr.png": "qr.png", "/qr.svg": "qr.svg"}
PASSED = ("/static/", "/media/", "/lead/", "/accounts/language/", "/favicon.ico")


def pages_domain() -> tuple[str, str]:
    """(domain, port) of ``DOWNLINE_PAGES_DOMAIN``, lower case; ("", "") when it is off."""
    value = (getattr(settings, "DOWNLINE_PAGES_DOMAIN", "") or "").strip().lower().strip(".")
    if not value:
        return "", ""
    domain, port = split_domain_port(value)
    return domain or value, port


def page_address(slug: str) -> str:
    """The public address of the page ``slug`` (see the module docstring)."""
    domain, port = pages_domain()
    if not domain or not SLUG.match(slug):  # a slug that is no host name keeps its path
        return site_url() + reverse("outreach:page", args=[slug])
    scheme = urlsplit(site_url()).scheme or "https"
    return f"{scheme}://{slug}.{domain}{':' + port if port else ''}/"


def slug_of_host(host: str) -> str | None:
    """The page slug a host names: "" for a host under the pages domain that names no page
    (the bare domain, deeper names), None for any other host."""
    domain, _port = pages_domain()
    if not domain:
        return None
    name, _host_port = split_domain_port(host)
    if name == domain:
        return ""
    if not name.endswith("." + domain):
        return None
    label = name[: -len(domain) - 1]
    return label if SLUG.match(label) else ""


def mapped_path(slug: str, path: str) -> str | None:
    """The path a page host's ``path`` is served as; None when it belongs to the main site."""
    if path in MAPPED:
        return reverse("outreach:page", args=[slug]) + MAPPED[path]
    own = reverse("outreach:page", args=[slug])
    if path.startswith(own) or path.startswith(PASSED):
        return path
    return None


class PageSubdomainMiddleware:
    """Serves ``<slug>.<DOWNLINE_PAGES_DOMAIN>`` with the page routes (module docstring).
    Place it right after ``SecurityMiddleware``: before ``CommonMiddleware`` and CSRF."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        slug = slug_of_host(request.get_host()) if pages_domain()[0] else None
        if slug is None:
            return self.get_response(request)
        path = mapped_path(slug, request.path_info) if slug else None
        if path is None:
            return HttpResponseRedirect(site_url() + request.get_full_path())
        request.path_info = path
        request.page_slug = slug
        return self.get_response(request)
