"""Sign-in with limits, sign-out, e-mail confirmation, profile, language, password reset."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from downline.accounts.models import User

from .conftest import PASSWORD


def _login(client, username, password=PASSWORD, **extra):
    return client.post(reverse("web:login"), {"username": username, "password": password}, **extra)


def test_sign_in_by_username_or_e_mail(client, team):
    assert _login(client, "alice")["Location"] == reverse("web:dashboard")
    client.post(reverse("web:logout"))
    assert _login(client, "ALICE@example.com")["Location"] == reverse("web:dashboard")


def test_sign_in_sets_the_language_of_the_login(client, team):
    team.alice_user.language = "pl"
    team.alice_user.save()
    response = _login(client, "alice")
    assert response.cookies["django_language"].value == "pl"
    page = client.get(reverse("web:dashboard"))
    assert 'lang="pl"' in page.text


def test_wrong_password_is_refused_without_saying_which_part(client, team):
    response = _login(client, "alice", "wrong")
    assert response.status_code == 200
    assert "do not match" in response.text
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_account_even_for_the_right_password(client, team, settings):
    settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT = 5
    for _ in range(5):
        _login(client, "alice", "wrong")
    response = _login(client, "alice")
    assert "Too many failed attempts" in response.text
    assert "_auth_user_id" not in client.session
    # another account from another address is not affected
    response = _login(client, "dave", REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302


def test_failures_from_one_address_lock_that_address(client, team, settings):
    settings.DOWNLINE_LOGIN_FAILURES_PER_ADDRESS = 3
    for name in ("x1", "x2", "x3"):
        _login(client, name, "wrong", REMOTE_ADDR="192.0.2.7")
    response = _login(client, "alice", REMOTE_ADDR="192.0.2.7")
    assert "Too many failed attempts" in response.text
    assert _login(client, "alice", REMOTE_ADDR="192.0.2.8").status_code == 302


def test_logout_needs_a_post(alice_client):
    assert alice_client.get(reverse("web:logout")).status_code == 405
    assert alice_client.post(reverse("web:logout")).status_code == 302
    assert "_auth_user_id" not in alice_client.session


def test_csrf_is_enforced_on_sign_in(team):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("web:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


def test_profile_changes_name_and_language_and_e_mail_only_after_confirmation(alice_client, team):
    response = alice_client.post(
        reverse("web:profile"),
        {
            "name": "Alice Zimmer",
            "email": "new@example.com",
            "language": "de",
            "current_password": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "de"
    team.alice.refresh_from_db()
    user = User.objects.get(pk=team.alice_user.pk)
    assert (team.alice.name, team.alice.language, user.language) == ("Alice Zimmer", "de", "de")
    assert user.email == "alice@example.com"  # not yet confirmed
    assert mail.outbox[-1].to == ["new@example.com"]
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    alice_client.get(link)
    user.refresh_from_db()
    team.alice.refresh_from_db()
    assert user.email == "new@example.com"
    assert team.alice.email == "new@example.com"


def test_language_switch_sets_cookie_and_login_language(alice_client, team):
    response = alice_client.post(
        reverse("web:set_language"), {"language": "ru", "next": reverse("web:team")}
    )
    assert response["Location"] == reverse("web:team")
    assert response.cookies["django_language"].value == "ru"
    assert User.objects.get(pk=team.alice_user.pk).language == "ru"
    page = alice_client.get(reverse("web:team"))
    assert 'lang="ru"' in page.text


def test_language_switch_refuses_foreign_redirects(alice_client):
    response = alice_client.post(
        reverse("web:set_language"), {"language": "de", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("web:dashboard")


def test_password_reset_by_e_mail(client, team):
    client.post(reverse("web:password_reset"), {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+", mail.outbox[0].body).group(0)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "another-long-phrase-9", "new_password2": "another-long-phrase-9"},
    )
    assert response["Location"] == reverse("web:password_reset_complete")
    assert _login(client, "alice", "another-long-phrase-9").status_code == 302


def test_password_reset_is_silent_about_unknown_addresses(client, team):
    response = client.post(reverse("web:password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("web:password_reset_done")
    assert mail.outbox == []


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ:forged:signature"])
def test_a_forged_confirmation_link_is_refused(client, db, token):
    assert client.get(reverse("web:verify_email", args=[token])).status_code == 400
