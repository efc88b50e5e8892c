"""Issue 11, finding 1: the Django admin needs the second factor, always.

The attack: a staff password alone opened ``/admin/`` (its own login, no rate limit; and a
password-only session from ``/accounts/login/`` was let in); there a superuser deleted their
own authenticator, enrolled a new one and reached the payout console.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.accounts.actions import AccountError, do_create_user, do_remove_totp
from downline.accounts.models import SecurityEvent
from downline.core.admin_site import DownlineAdminSite

from .conftest import PASSWORD, verified_staff


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


@pytest.fixture
def boss(db):
    """A superuser with a confirmed authenticator, not signed in."""
    user = do_create_user("boss", password=PASSWORD, email="boss@example.com", superuser=True)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def test_a_password_only_session_does_not_open_the_admin(client, boss):
    signed_in = client.post(reverse("web:login"), {"username": "boss", "password": PASSWORD})
    assert signed_in.status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:two_factor"))
    device = TOTPDevice.objects.get(user=boss)
    delete = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 302
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


@override_settings(
    MIDDLEWARE=[
        m
        for m in django_settings.MIDDLEWARE
        if m != "downline.web.middleware.StaffTwoFactorMiddleware"
    ]
)
def test_the_admin_site_itself_requires_a_verified_session(client, boss):
    """Even without the project's middleware, the admin site checks the second factor."""
    client.force_login(boss)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")  # as if not staff at all
    request = RequestFactory().get("/admin/")
    request.user = boss
    boss.is_verified = lambda: False
    assert not DownlineAdminSite().has_permission(request)
    boss.is_verified = lambda: True
    assert DownlineAdminSite().has_permission(request)
    request.user = AnonymousUser()
    assert not DownlineAdminSite().has_permission(request)


def test_the_admin_login_is_the_rate_limited_sign_in(client, boss):
    page = client.get("/admin/login/?next=/admin/payouts/")
    assert page.status_code == 302
    assert page["Location"] == reverse("web:login") + "?next=%2Fadmin%2Fpayouts%2F"
    posted = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert posted.status_code == 302
    assert "_auth_user_id" not in client.session
    foreign = client.get("/admin/login/?next=https://evil.example/")
    assert foreign["Location"] == reverse("web:login") + "?next=%2Fadmin%2F"


def test_there_is_no_setting_to_turn_it_off(settings):
    assert not hasattr(settings, "DOWNLINE_ADMIN_REQUIRES_2FA")


def test_staff_with_a_confirmed_code_use_the_admin(client, db):
    verified_staff(client, "root", superuser=True)
    assert client.get("/admin/").status_code == 200


def test_nobody_adds_or_edits_an_authenticator_in_the_admin(client, db):
    root = verified_staff(client, "root", superuser=True)
    device = TOTPDevice.objects.get(user=root)
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.text  # the secret is never shown
    client.post(f"/admin/otp_totp/totpdevice/{device.pk}/change/", {"name": "x", "key": "00"})
    device.refresh_from_db()
    assert device.name == "app"


def test_an_admin_cannot_delete_their_own_authenticator_in_the_admin(client, db):
    root = verified_staff(client, "root", superuser=True)
    device = TOTPDevice.objects.get(user=root)
    url = f"/admin/otp_totp/totpdevice/{device.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    client.post(
        "/admin/otp_totp/totpdevice/",
        {"action": "delete_selected", "_selected_action": [device.pk], "post": "yes"},
    )
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not SecurityEvent.objects.filter(kind__startswith="authenticator").exists()


def test_another_admin_removes_it_and_the_removal_is_audited(client, boss):
    root = verified_staff(client, "root", superuser=True)
    device = TOTPDevice.objects.get(user=boss)
    url = f"/admin/otp_totp/totpdevice/{device.pk}/delete/"
    assert client.post(url, {"post": "yes"}, REMOTE_ADDR="192.0.2.4").status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.AUTHENTICATOR_REMOVED)
    assert (event.actor, event.user, event.how) == (root, boss, SecurityEvent.How.ADMINISTRATOR)
    assert (event.device, event.address) == (f"phone #{device.pk}", "192.0.2.4")
    assert event.at is not None
    listing = client.get("/admin/accounts/securityevent/")
    assert "boss" in listing.text
    assert "root" in listing.text


def test_the_owner_removes_it_only_with_a_current_code(boss):
    device = TOTPDevice.objects.get(user=boss)
    for code in ("", "000000"):
        with pytest.raises(AccountError, match="current code"):
            do_remove_totp(device, actor=boss, code=code)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    do_remove_totp(device, actor=boss, code=_code(device))
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    event = SecurityEvent.objects.get(kind__startswith="authenticator")
    assert (event.actor, event.user, event.how) == (boss, boss, SecurityEvent.How.OWN_CODE)


def test_a_distributor_or_support_login_cannot_remove_someone_elses(boss):
    from django.contrib.auth.models import Group

    helper = do_create_user("helper", password=PASSWORD, staff=True)
    helper.groups.add(Group.objects.get(name="support"))
    with pytest.raises(AccountError, match="another administrator"):
        do_remove_totp(TOTPDevice.objects.get(user=boss), actor=helper)
    assert TOTPDevice.objects.filter(user=boss).exists()


def test_enrolling_an_authenticator_is_audited_and_needs_none_before(client, db):
    staff = do_create_user("newcomer", password=PASSWORD, staff=True)
    client.force_login(staff)
    client.get(reverse("web:two_factor"))
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert client.post(reverse("web:two_factor"), {"code": _code(device)}).status_code == 302
    event = SecurityEvent.objects.get(kind__startswith="authenticator")
    assert (event.kind, event.actor, event.user) == ("authenticator_added", staff, staff)
