"""Security review (issue 11, follow-up): a stolen session is not a takeover, adjustments cannot
be split to dodge the second approver, changes of logins' rights are recorded and notified, and
the shop admin neither shows the webhook secret nor deletes idempotency records.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from downline.accounts.actions import do_create_user
from downline.accounts.models import SecurityEvent, User
from downline.accounts.security import acting_as
from downline.core.models import ScheduledRun
from downline.ledger.actions import do_adjust_balance, do_undo_adjustment
from downline.ledger.models import Adjustment
from downline.ledger.posting import LedgerError
from downline.shops.actions import do_create_shop
from downline.shops.models import Receipt, Shop

from .conftest import PASSWORD

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
VERIFY_LINK = re.compile(r"https?://\S+/accounts/verify/[^/\s]+/")
PAYOUT_LINK = re.compile(r"https?://\S+/accounts/payout-details/confirm/[^/\s]+/")
DETAILS = {
    "account_holder": "Alice Adams",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
    "tax_id": "de 123/456",
}


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _change_address(client, email: str, password: str = ""):
    return client.post(
        reverse("web:profile"),
        {"name": "Alice Adams", "email": email, "language": "en", "current_password": password},
    )


# --------------------------------------------------------------------------- 1. e-mail takeover


def test_a_stolen_session_cannot_change_the_address_without_the_password(alice_client, team):
    for password in ("", "a-wrong-guess"):
        response = _change_address(alice_client, "thief@example.com", password)
        assert response.status_code == 400
        assert "Enter your current password to change your e-mail address." in response.text
    assert mail.outbox == []
    team.alice_user.refresh_from_db()
    assert team.alice_user.email == "alice@example.com"


def test_the_old_address_hears_of_the_request_and_of_the_change(alice_client, team):
    response = _change_address(alice_client, "new@example.com", PASSWORD)
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [
        ["alice@example.com"],
        ["new@example.com"],
    ]
    requested = mail.outbox[0]
    assert "new@example.com" in requested.body
    assert reverse("web:password_reset") in requested.body
    link = VERIFY_LINK.findall(mail.outbox[1].body)[0]
    mail.outbox.clear()

    alice_client.get(_path(link))

    alice = User.objects.get(pk=team.alice_user.pk)
    assert (alice.email, alice.previous_email) == ("new@example.com", "alice@example.com")
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    assert "new@example.com" in mail.outbox[0].body
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.EMAIL_CHANGED)
    assert event.detail == "email: alice@example.com -> new@example.com"


def test_a_new_iban_after_an_address_change_is_announced_to_the_previous_address(
    alice_client, team
):
    _change_address(alice_client, "thief@example.com", PASSWORD)
    alice_client.get(_path(VERIFY_LINK.findall(mail.outbox[-1].body)[0]))
    mail.outbox.clear()

    alice_client.post(reverse("web:payout_details"), DETAILS)
    assert [message.to for message in mail.outbox] == [["thief@example.com"]]
    link = PAYOUT_LINK.findall(mail.outbox[-1].body)[0]
    mail.outbox.clear()
    assert alice_client.post(_path(link)).status_code == 302

    assert sorted(message.to[0] for message in mail.outbox) == [
        "alice@example.com",
        "thief@example.com",
    ]
    assert all("3000" in message.body for message in mail.outbox)


# --------------------------------------------------------------------------- 2. split adjustments


@pytest.fixture
def finance(team) -> User:
    user = do_create_user("fin", password=PASSWORD, email="fin@example.com", staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    return user


def _adjust(member, amount: int, actor: User) -> Adjustment:
    return do_adjust_balance(
        member, amount, currency="EUR", reason="goodwill", reference="T-1", actor=actor
    )


def test_adjustments_split_below_the_limit_still_need_a_second_person(team, finance):
    with time_machine.travel(T0, tick=False):
        _adjust(team.bob, 49999, finance)
        with pytest.raises(LedgerError, match="need a second staff member"):
            _adjust(team.bob, 49999, finance)
        with pytest.raises(LedgerError, match="need a second staff member"):
            _adjust(team.bob, -2, finance)  # a debit counts by its absolute value
        _adjust(team.carol, 49999, finance)  # another member has their own sum
        other = do_create_user("fin2", password=PASSWORD, staff=True)
        other.groups.add(Group.objects.get(name="finance"))
        _adjust(team.bob, 1, other)  # another staff member has their own sum
    with time_machine.travel(T0 + timedelta(hours=24, seconds=1), tick=False):
        _adjust(team.bob, 49999, finance)  # the window has passed
    assert Adjustment.objects.filter(distributor=team.bob, created_by=finance).count() == 2


def test_undoing_counts_towards_the_same_sum(team, finance):
    with time_machine.travel(T0, tick=False):
        others = [do_create_user(f"fin{n}", password=PASSWORD, staff=True) for n in (2, 3)]
        for other in others:
            other.groups.add(Group.objects.get(name="finance"))
        first, second = _adjust(team.bob, 40000, others[0]), _adjust(team.bob, 30000, others[1])
        do_undo_adjustment(first, reason="typo", actor=finance)
        with pytest.raises(LedgerError, match="need a second staff member"):
            do_undo_adjustment(second, reason="typo", actor=finance)


def test_the_console_turns_a_split_adjustment_into_a_request(client, team, finance):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=finance, name="t", confirmed=True)
    client.force_login(finance)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    client.post("/accounts/two-factor/", {"code": f"{code:06d}"})
    form = {
        "member_id": "BOB",
        "amount": "499.99",
        "currency": "EUR",
        "reason": "r",
        "reference": "x",
    }
    url = reverse("web:console_adjustments")
    client.post(url, form)
    client.post(url, form)
    assert Adjustment.objects.filter(distributor=team.bob).count() == 1
    assert team.bob.adjustment_requests.filter(status="pending").count() == 1


# --------------------------------------------------------------------------- 3. login rights


@pytest.fixture
def admins(db) -> tuple[User, User]:
    first = do_create_user("root1", password=PASSWORD, email="root1@example.com", superuser=True)
    second = do_create_user("root2", password=PASSWORD, email="root2@example.com", superuser=True)
    return first, second


def test_making_a_second_staff_login_is_recorded_and_told_to_the_other_admins(
    admins, django_capture_on_commit_callbacks
):
    first, _second = admins
    mail.outbox.clear()
    SecurityEvent.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True), acting_as(first):
        accomplice = do_create_user("helper", password=PASSWORD, email="h@example.com")
        accomplice.is_staff = True
        accomplice.save()
        accomplice.groups.add(Group.objects.get(name="finance"))
        Group.objects.get(name="admin").user_set.add(accomplice)
        accomplice.is_active = False
        accomplice.save(update_fields=["is_active"])

    events = list(SecurityEvent.objects.order_by("id").values_list("kind", "detail", "actor_name"))
    assert events == [
        ("staff_changed", "is_staff: False -> True", "root1"),
        ("groups_changed", "groups: +finance", "root1"),
        ("groups_changed", "groups: +admin", "root1"),
        ("active_changed", "is_active: True -> False", "root1"),
    ]
    assert {tuple(message.to) for message in mail.outbox} == {("root2@example.com",)}
    assert len(mail.outbox) == 4
    assert "helper" in mail.outbox[0].subject
    assert "root1" in mail.outbox[0].body


def test_a_superuser_made_on_the_command_line_is_recorded_without_a_named_actor(
    admins, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        User.objects.create_superuser("shell", "shell@example.com", PASSWORD)
    kinds = set(SecurityEvent.objects.filter(user_name="shell").values_list("kind", "actor_name"))
    assert kinds == {("staff_changed", "unknown"), ("superuser_changed", "unknown")}
    assert {message.to[0] for message in mail.outbox} == {
        "root1@example.com",
        "root2@example.com",
    }


def test_a_sign_in_writes_no_security_event(client, team):
    SecurityEvent.objects.all().delete()
    client.post(reverse("web:login"), {"username": "alice", "password": PASSWORD})
    assert not SecurityEvent.objects.exists()


def test_the_admin_names_who_changed_a_login(admin_client, admin_user, team):
    user = team.dave_user
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on",
        "groups": [Group.objects.get(name="finance").pk],
        "language": "en",
        "email_verified": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-05",
        "date_joined_1": "12:00:00",
    }
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    events = SecurityEvent.objects.filter(user=user).values_list("kind", "actor_name")
    assert set(events) == {("staff_changed", admin_user.username), ("groups_changed", "admin")}


# --------------------------------------------------------------------------- 4. shop admin


@pytest.fixture
def shop(team) -> Shop:
    return do_create_shop(
        kind="woocommerce",
        slug="web",
        name="Web shop",
        webhook_secret="s3cret-value-WXYZ",
        currency="EUR",
        default_referrer=team.alice,
    )


def test_the_shop_admin_shows_only_the_last_4_characters_of_the_secret(admin_client, shop):
    page = admin_client.get(f"/admin/shops/shop/{shop.pk}/change/").text
    assert "s3cret-value" not in page
    assert "****WXYZ" in page


def test_changing_the_default_referrer_keeps_the_secret_and_is_in_the_history(
    admin_client, admin_user, shop, team
):
    data = {
        "kind": "woocommerce",
        "slug": "web",
        "name": "Web shop",
        "currency": "EUR",
        "default_referrer": team.dave.pk,
        "active": "on",
        "new_webhook_secret": "",
        "sku_mappings-TOTAL_FORMS": "0",
        "sku_mappings-INITIAL_FORMS": "0",
        "sku_mappings-MIN_NUM_FORMS": "0",
        "sku_mappings-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(f"/admin/shops/shop/{shop.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    shop.refresh_from_db()
    assert (shop.default_referrer, shop.webhook_secret) == (team.dave, "s3cret-value-WXYZ")
    entry = LogEntry.objects.get(object_id=str(shop.pk), action_flag=CHANGE)
    assert entry.user == admin_user
    assert "default referring distributor" in entry.get_change_message().lower()


def test_receipts_and_scheduled_runs_cannot_be_deleted_in_the_admin(admin_client, admin_user):
    from django.contrib import admin

    run = ScheduledRun.objects.create(job="nightly", run_for=date(2026, 3, 2))
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model in (Receipt, ScheduledRun):
        assert admin.site._registry[model].has_delete_permission(request) is False
    response = admin_client.post(f"/admin/core/scheduledrun/{run.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert ScheduledRun.objects.filter(pk=run.pk).exists()
