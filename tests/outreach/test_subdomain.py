"""Capture pages at ``<slug>.<DOWNLINE_PAGES_DOMAIN>``: the same page, form and assets as
``/p/<slug>/``; unknown slugs 404; the main site untouched; the address in share links."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from downline.contacts.selectors import contacts_of
from downline.outreach.subdomains import page_address

DOMAIN = "pages.example.com"
MIDDLEWARE = "downline.outreach.subdomains.PageSubdomainMiddleware"


@pytest.fixture
def on(settings):
    """The setting on and the wildcard host allowed (the middleware is in the settings, right
    after SecurityMiddleware)."""
    middleware = list(settings.MIDDLEWARE)
    assert (
        middleware.index(MIDDLEWARE)
        == middleware.index("django.middleware.security.SecurityMiddleware") + 1
    )
    settings.DOWNLINE_PAGES_DOMAIN = DOMAIN
    settings.ALLOWED_HOSTS = ["testserver", "downline.test", f".{DOMAIN}"]
    return settings


def _get(client, host: str, path: str = "/", **extra):
    return client.get(path, HTTP_HOST=host, secure=True, **extra)


def test_the_subdomain_serves_the_same_page(client, pages_, on):
    response = _get(client, f"alice.{DOMAIN}")
    assert response.status_code == 200
    html = response.content.decode()
    main = client.get("/p/alice/")
    assert main.status_code == 200
    for shown in ("Alice Adams", '<form method="post" novalidate>', 'name="email"'):
        assert shown in html  # the form has no action: it posts back to this address
        assert shown in main.content.decode()
    assert "Dave Dodd" in _get(client, f"dave.{DOMAIN}").content.decode()


def test_an_unknown_slug_is_not_found(client, pages_, on):
    assert _get(client, f"nobody.{DOMAIN}").status_code == 404
    assert _get(client, f"nobody.{DOMAIN}", "/qr.png").status_code == 404


def test_a_sign_up_on_the_subdomain_passes_csrf_and_lands_with_the_owner(pages_, team, on):
    browser = Client(enforce_csrf_checks=True)
    host = f"alice.{DOMAIN}"
    form = _get(browser, host)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())[1]
    response = browser.post(
        "/",
        {
            "first_name": "Pat",
            "email": "pat@example.org",
            "consent": "on",
            "csrfmiddlewaretoken": token,
        },
        HTTP_HOST=host,
        HTTP_ORIGIN=f"https://{host}",
        HTTP_REFERER=f"https://{host}/",
        secure=True,
    )
    assert response.status_code == 200, response.content[:300]
    assert "Check your inbox" in response.content.decode()
    contact = contacts_of(team.alice).get(email="pat@example.org")
    assert contact.source_ref == "alice"
    assert not contacts_of(team.dave).exists()


def test_the_page_assets_answer_on_the_subdomain(client, pages_, on):
    host = f"alice.{DOMAIN}"
    qr = _get(client, host, "/qr.svg")
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert _get(client, host, "/p/alice/qr.png").status_code == 200
    assert _get(client, host, "/photo").status_code == 404  # alice has no photo yet
    language = client.post(
        "/accounts/language/", {"language": "de", "next": "/"}, HTTP_HOST=host, secure=True
    )
    assert language.status_code == 302
    assert language["Location"] == "/"


def test_other_addresses_on_a_page_host_go_to_the_main_site(client, pages_, on):
    response = _get(client, f"alice.{DOMAIN}", "/accounts/login/", data={"next": "/x"})
    assert response.status_code == 302
    assert response["Location"] == "https://downline.test/accounts/login/?next=%2Fx"
    assert (
        _get(client, f"alice.{DOMAIN}", "/p/dave/")["Location"] == "https://downline.test/p/dave/"
    )
    assert _get(client, DOMAIN)["Location"] == "https://downline.test/"
    assert _get(client, f"a.alice.{DOMAIN}")["Location"] == "https://downline.test/"


def test_the_main_site_is_unaffected(client, pages_, on, settings):
    with_middleware = [client.get(path).status_code for path in ("/", "/p/alice/", "/blog/")]
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    without = [client.get(path).status_code for path in ("/", "/p/alice/", "/blog/")]
    assert with_middleware == without
    assert with_middleware[1] == 200


def test_a_host_outside_allowed_hosts_is_refused(client, pages_, on, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    assert _get(client, f"alice.{DOMAIN}").status_code == 400


def test_the_page_address(settings):
    settings.DOWNLINE_PAGES_DOMAIN = ""
    assert page_address("alice") == "https://downline.test/p/alice/"
    settings.DOWNLINE_PAGES_DOMAIN = DOMAIN
    assert page_address("alice") == f"https://alice.{DOMAIN}/"
    assert page_address("Not_A_Host") == "https://downline.test/p/Not_A_Host/"
    settings.DOWNLINE_SITE_URL = "http://127.0.0.1:8000"
    settings.DOWNLINE_PAGES_DOMAIN = "pages.localhost:8000"
    assert page_address("alice") == "http://alice.pages.localhost:8000/"


def test_share_links_and_qr_code_carry_the_subdomain(client, pages_, team, on):
    """Needs ``pages.page_url`` / ``page_url_of`` to return ``subdomains.page_address``."""
    from downline.outreach.pages import page_url, page_url_of, qr_code

    address = f"https://alice.{DOMAIN}/"
    assert page_url(pages_[0]) == address
    assert page_url_of(team.alice) == address
    client.force_login(team.alice_user)
    page = client.get("/outreach/")
    assert page.context["url"] == address
    assert all("alice.pages.example.com" in link for link in page.context["share"].values())
    assert client.get("/p/alice/qr.svg").content == qr_code(address, "svg")
