"""Issue 11, finding 10: the join and profile pages do not tell which addresses have accounts.

The attack: 18 addresses tried on ``/join/<code>/`` and the profile, none blocked, each
answer saying whether the address was taken. Now taken and free addresses get the same answer
(the owner of a taken one gets an e-mail about the attempt), and both forms are limited per
client address, per login and per address asked for.
"""

from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from downline.accounts.models import User
from downline.genealogy.models import Distributor

from .conftest import PASSWORD

JOIN = {"name": "Nina Novak", "password": PASSWORD, "accept": "on"}


def _visible(response, email: str) -> str:
    """The page as a reader sees it, with the address asked for and the CSRF token blanked."""
    text = response.text.replace(email, "ADDRESS")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def test_joining_answers_the_same_for_taken_and_free_addresses(client, team):
    free = client.post(reverse("web:join", args=["ALICE"]), {**JOIN, "email": "nina@example.com"})
    taken = client.post(reverse("web:join", args=["ALICE"]), {**JOIN, "email": "dave@example.com"})
    assert free.status_code == taken.status_code == 200
    assert _visible(free, "nina@example.com") == _visible(taken, "dave@example.com")
    assert [message.to for message in mail.outbox] == [
        ["nina@example.com"],  # the confirmation link
        ["dave@example.com"],  # the owner hears that someone tried
    ]
    notice = mail.outbox[1]
    assert "already uses this address" in notice.body
    assert "/accounts/password-reset/" in notice.body
    assert (
        not Distributor.objects.filter(email="dave@example.com").exclude(pk=team.dave.pk).exists()
    )


def test_a_taken_username_is_not_revealed_either(client, team):
    """An address that is some login's username (``alice``'s is not an address, so make one)."""
    User.objects.filter(pk=team.alice_user.pk).update(username="al@example.com", email="")
    response = client.post(reverse("web:join", args=["ALICE"]), {**JOIN, "email": "al@example.com"})
    assert "We sent a link to al@example.com" in response.text
    assert User.objects.filter(username__iexact="al@example.com").count() == 1


def test_joining_is_limited_per_client_address(client, team):
    for number in range(10):
        client.post(
            reverse("web:join", args=["ALICE"]),
            {**JOIN, "email": "dave@example.com" if number % 2 else f"n{number}@example.com"},
            REMOTE_ADDR="192.0.2.9",
        )
    eleventh = client.post(
        reverse("web:join", args=["ALICE"]),
        {**JOIN, "email": "alice@example.com"},
        REMOTE_ADDR="192.0.2.9",
    )
    assert "Too many sign-ups from your address" in eleventh.text
    other = client.post(
        reverse("web:join", args=["ALICE"]),
        {**JOIN, "email": "alice@example.com"},
        REMOTE_ADDR="192.0.2.10",
    )
    assert "We sent a link" in other.text


def test_one_address_is_not_mailed_without_limit(client, team, settings):
    settings.DOWNLINE_LOGIN_FAILURES_PER_ACCOUNT = 3
    for number in range(6):
        client.post(
            reverse("web:join", args=["ALICE"]),
            {**JOIN, "email": "dave@example.com"},
            REMOTE_ADDR=f"192.0.2.{number}",
        )
    assert len(mail.outbox) == 3


def _change_address(client, email: str, address: str = "10.1.1.1"):
    return client.post(
        reverse("web:profile"),
        {"name": "Alice Adams", "email": email, "language": "en", "current_password": PASSWORD},
        REMOTE_ADDR=address,
        follow=True,
    )


def test_the_profile_answers_the_same_for_taken_and_free_addresses(alice_client, team):
    free = _change_address(alice_client, "fresh@example.com")
    taken = _change_address(alice_client, "dave@example.com")
    assert free.redirect_chain == taken.redirect_chain == [(reverse("web:profile"), 302)]
    assert "We sent a link to fresh@example.com" in free.text
    assert "We sent a link to dave@example.com" in taken.text
    assert "used by another login" not in taken.text
    assert [message.to for message in mail.outbox] == [  # the current address hears of each
        ["alice@example.com"],
        ["fresh@example.com"],
        ["alice@example.com"],
        ["dave@example.com"],
    ]
    assert "already uses this address" in mail.outbox[3].body
    team.alice_user.refresh_from_db()
    assert team.alice_user.email == "alice@example.com"


def test_address_changes_are_limited_per_login_and_per_client_address(alice_client, team):
    for number in range(10):
        _change_address(alice_client, f"try{number}@example.com", address=f"10.2.0.{number}")
    refused = _change_address(alice_client, "dave@example.com", address="10.2.1.1")
    assert "Too many failed attempts" in refused.text
    assert len(mail.outbox) == 20  # per accepted request: the link, and the notice to the old


def test_address_changes_are_limited_per_client_address_across_logins(client, team):
    client.force_login(team.alice_user)
    for number in range(10):
        _change_address(client, f"try{number}@example.com", address="10.3.0.1")
    client.force_login(team.dave_user)
    refused = _change_address(client, "alice@example.com", address="10.3.0.1")
    assert "Too many failed attempts" in refused.text
