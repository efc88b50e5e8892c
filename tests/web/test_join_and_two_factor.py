"""Joining through a referral link, e-mail confirmation, and staff two-factor sign-in."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.accounts.models import User
from downline.genealogy.actions import do_change_status
from downline.genealogy.models import Distributor, StructureEvent

from .conftest import PASSWORD

JOIN = {"name": "Nina Novak", "email": "Nina@Example.com", "password": PASSWORD, "accept": "on"}


def test_the_referral_page_names_the_sponsor(client, team):
    response = client.get(reverse("web:join", args=["alice"]))
    assert response.status_code == 200
    assert "Alice Adams" in response.text
    assert "ALICE" in response.text


@pytest.mark.parametrize("code", ["NOPE", "CUST-A"])
def test_unknown_codes_and_customers_invite_no_one(client, team, code):
    assert client.get(reverse("web:join", args=[code])).status_code == 404


def test_a_suspended_distributor_invites_no_one(client, team):
    do_change_status(team.alice, "suspended", reason="test")
    assert client.get(reverse("web:join", args=["ALICE"])).status_code == 404


def test_joining_enrolls_under_the_sponsor_and_waits_for_confirmation(client, team):
    response = client.post(reverse("web:join", args=["ALICE"]), JOIN)
    assert response.status_code == 200
    member = Distributor.objects.get(email="nina@example.com")
    assert member.sponsor_id == team.alice.pk
    assert member.name == "Nina Novak"
    assert StructureEvent.objects.filter(distributor=member, kind="enrolled").exists()
    user = member.user
    assert user.username == "nina@example.com"
    assert user.is_active
    assert not user.email_verified
    # the login is not usable before confirmation
    refused = client.post(
        reverse("web:login"), {"username": "nina@example.com", "password": PASSWORD}
    )
    assert "confirm your e-mail address" in refused.text
    assert mail.outbox[-1].to == ["nina@example.com"]
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    assert client.get(link)["Location"] == reverse("web:login")
    assert User.objects.get(pk=user.pk).email_verified
    signed_in = client.post(
        reverse("web:login"), {"username": "nina@example.com", "password": PASSWORD}
    )
    assert signed_in["Location"] == reverse("web:dashboard")


def test_a_weak_password_or_a_taken_address_writes_nothing(client, team):
    before = Distributor.objects.count()
    weak = client.post(reverse("web:join", args=["ALICE"]), {**JOIN, "password": "123"})
    assert weak.status_code == 200
    assert "error" in weak.text
    # a taken address: the same answer as a free one (tests/web/test_no_email_enumeration.py)
    client.post(reverse("web:join", args=["ALICE"]), {**JOIN, "email": "dave@example.com"})
    assert Distributor.objects.count() == before
    assert [message.to for message in mail.outbox] == [["dave@example.com"]]


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def test_staff_set_up_an_authenticator_then_reach_the_console(client, team):
    client.force_login(team.staff_user)
    assert client.get(reverse("web:console"))["Location"].startswith(reverse("web:two_factor"))
    page = client.get(reverse("web:two_factor"))
    assert "data:image/svg+xml" in page.text
    device = TOTPDevice.objects.get(user=team.staff_user, confirmed=False)
    wrong = client.post(reverse("web:two_factor"), {"code": "000000"})
    assert "not right" in wrong.text
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    done = client.post(
        reverse("web:two_factor") + "?next=/console/",
        {"code": _code(device), "next": "/console/"},
    )
    assert done["Location"] == "/console/"
    assert client.get(reverse("web:console")).status_code == 200
    assert TOTPDevice.objects.get(pk=device.pk).confirmed


def test_staff_with_an_authenticator_confirm_a_code_each_sign_in(client, team):
    device = TOTPDevice.objects.create(user=team.staff_user, name="app", confirmed=True)
    client.post(reverse("web:login"), {"username": "staff", "password": PASSWORD})
    assert client.get(reverse("web:console"))["Location"].startswith(reverse("web:two_factor"))
    page = client.get(reverse("web:two_factor"))
    assert "data:image/svg+xml" not in page.text  # no new key is shown
    client.post(reverse("web:two_factor"), {"code": _code(device)})
    assert client.get(reverse("web:console")).status_code == 200


def test_the_admin_needs_the_second_factor_too(client, team):
    """Always (no setting turns it off): see tests/web/test_admin_two_factor.py."""
    team.staff_user.is_superuser = True
    team.staff_user.save()
    client.force_login(team.staff_user)
    assert client.get("/admin/")["Location"].startswith(reverse("web:two_factor"))
