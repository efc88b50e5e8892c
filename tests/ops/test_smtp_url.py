"""``DOWNLINE_SMTP_URL`` sends production e-mail (verification and reset links) through a real
mail server; unset, e-mails go to the console as in the demo."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from downline.core.smtp_url import CONSOLE, SMTP, mailers_from_url


def test_unset_prints_to_the_console():
    assert mailers_from_url(None) == {"default": {"BACKEND": CONSOLE}}
    assert mailers_from_url("") == {"default": {"BACKEND": CONSOLE}}


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("smtp://mail.example.com", {"host": "mail.example.com"}),
        (
            "smtp+tls://mailer:p%40ss@mail.example.com:587",
            {
                "host": "mail.example.com",
                "port": 587,
                "use_tls": True,
                "username": "mailer",
                "password": "p@ss",
            },
        ),
        (
            "smtps://mail.example.com:465",
            {"host": "mail.example.com", "port": 465, "use_ssl": True},
        ),
    ],
)
def test_smtp_urls(url, options):
    assert mailers_from_url(url) == {
        "default": {"BACKEND": SMTP, "OPTIONS": {"timeout": 30, **options}}
    }


@pytest.mark.parametrize(
    "url", ["mail.example.com", "http://mail.example.com", "smtp://", "smtp://h:99999"]
)
def test_a_bad_url_names_the_variable(url):
    with pytest.raises(ImproperlyConfigured, match="DOWNLINE_SMTP_URL"):
        mailers_from_url(url)
