"""Self-service payout details: validation naming the field, a change applied only from the
e-mail link, refused forged/expired/foreign links, audit rows with masked IBANs, the cooling-off
hold in payout batches and its end, each member seeing only their own details, and the bulk
seeding action."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from downline.payouts.actions import do_create_payout_batch
from downline.payouts.details import (
    PayoutDetailsError,
    clean_payout_details,
    do_seed_payout_details,
)
from downline.payouts.models import (
    PayoutDetailsChange,
    PayoutDetailsHistory,
    PayoutHold,
    PayoutProfile,
)

from .conftest import GOOD_IBAN, OTHER_IBAN, credit

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 13:00 in Berlin (CET)
LINK = re.compile(r"https?://\S+/accounts/payout-details/confirm/[^/\s]+/")
VALID = {
    "account_holder": "Anna Adler",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "COBADEFFXXX",
    "tax_id": "de 123/456",
}


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def anna_client(client, members):
    client.force_login(members.anna_user)
    return client


def _request(client, **changes) -> object:
    return client.post(reverse("web:payout_details"), {**VALID, **changes})


def _link() -> str:
    found = LINK.findall(mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found[0]


def _seed(
    member, iban: str, changed_at: datetime, holder: str = "Some Body", bic: str = "", tax="TAX-1"
) -> int:
    return do_seed_payout_details([(member, holder, iban, bic, tax, changed_at)])


# --------------------------------------------------------------------------- validation


def test_validation_names_each_bad_field():
    with pytest.raises(PayoutDetailsError) as caught:
        clean_payout_details("", "DE89 3704 0044 0532 0130 01", "COBA1", "")
    error = caught.value
    assert set(error.errors) == {"account_holder", "iban", "bic", "tax_id"}
    assert "check digits do not match" in error.errors["iban"]
    assert "8 or 11 characters" in error.errors["bic"]
    assert error.message.startswith("Account holder: ")
    assert "IBAN: " in error.message
    assert "BIC: " in error.message
    assert "Tax id: " in error.message


def test_valid_details_are_normalised():
    details = clean_payout_details("  Anna   Adler ", "de89 3704 0044 0532 0130 00", "", "de 1")
    assert details.iban == GOOD_IBAN
    assert details.account_holder == "Anna Adler"
    assert details.bic == ""  # optional
    assert details.tax_id == "DE 1"


def test_the_form_shows_the_error_under_the_field_and_keeps_nothing(anna_client, frozen):
    response = _request(anna_client, iban="DE89 3704 0044 0532 0130 01", bic="COBA1")
    assert response.status_code == 400
    page = response.text
    assert re.search(r'id="id_iban_error">[^<]*check digits do not match', page)
    assert re.search(r'id="id_bic_error">[^<]*8 or 11 characters', page)
    assert not PayoutDetailsChange.objects.exists()
    assert mail.outbox == []


# --------------------------------------------------------------------------- e-mail confirmation


def test_a_change_applies_only_once_the_link_is_followed(anna_client, members, frozen):
    response = _request(anna_client)
    assert response.status_code == 302
    change = PayoutDetailsChange.objects.get()
    assert change.status == PayoutDetailsChange.Status.PENDING
    assert not PayoutProfile.objects.filter(distributor=members.anna).exists()
    (message,) = mail.outbox
    assert message.to == ["anna@example.com"]
    assert "**** 3000" in message.body
    assert GOOD_IBAN not in message.body
    page = anna_client.get(reverse("web:payout_details")).text
    assert 'id="pending-change"' in page
    assert "anna@example.com" in page

    # opening the link shows what is confirmed, and still changes nothing
    link = _link()
    preview = anna_client.get(link)
    assert preview.status_code == 200
    assert "Confirm these details" in preview.text
    assert not PayoutProfile.objects.filter(distributor=members.anna).exists()

    anna_client.post(link)
    profile = PayoutProfile.objects.get(distributor=members.anna)
    assert (profile.account_holder, profile.iban, profile.bic, profile.tax_id) == (
        "Anna Adler",
        GOOD_IBAN,
        "COBADEFFXXX",
        "DE 123/456",
    )
    assert profile.bank_changed_at == T0
    change.refresh_from_db()
    assert change.status == PayoutDetailsChange.Status.CONFIRMED
    assert len(mail.outbox) == 2  # the notice that the details changed
    assert "payouts resume on" in mail.outbox[1].body
    page = anna_client.get(reverse("web:payout_details")).text
    assert 'id="pending-change"' not in page
    assert 'id="current-iban">**** 3000<' in page
    assert GOOD_IBAN not in page
    assert 'id="cooling-off"' in page
    # a link works once
    again = anna_client.post(link)
    assert again.status_code == 400
    assert "confirmed already" in again.text


def test_an_expired_link_is_refused(anna_client, members, frozen):
    _request(anna_client)
    link = _link()
    frozen.shift(timedelta(hours=24, minutes=1))
    response = anna_client.post(link)
    assert response.status_code == 400
    assert "expired" in response.text
    assert not PayoutProfile.objects.filter(distributor=members.anna).exists()
    assert 'id="pending-change"' not in anna_client.get(reverse("web:payout_details")).text


def test_a_forged_link_is_refused(anna_client, members, frozen):
    _request(anna_client)
    link = _link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    forged = link.replace(token, token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"))
    response = anna_client.post(forged)
    assert response.status_code == 400
    assert "not valid" in response.text
    assert not PayoutProfile.objects.filter(distributor=members.anna).exists()


def test_a_newer_change_supersedes_the_older_link(anna_client, members, frozen):
    _request(anna_client)
    first = _link()
    _request(anna_client, iban=OTHER_IBAN, bic="")
    second = _link()
    refused = anna_client.post(first)
    assert refused.status_code == 400
    assert "newer payout details" in refused.text
    anna_client.post(second)
    assert PayoutProfile.objects.get(distributor=members.anna).iban == OTHER_IBAN


def test_unchanged_details_are_refused(anna_client, members, frozen):
    _seed(
        members.anna, GOOD_IBAN, T0 - timedelta(days=30), "Anna Adler", "COBADEFFXXX", "DE 123/456"
    )
    response = _request(anna_client)
    assert response.status_code == 400
    assert "nothing changed" in response.text
    assert mail.outbox == []


# --------------------------------------------------------------------------- audit


def test_every_applied_change_leaves_an_audit_row_with_masked_ibans(anna_client, members, frozen):
    _seed(members.anna, OTHER_IBAN, T0 - timedelta(days=30), holder="Anna A.")
    frozen.shift(timedelta(minutes=5))
    anna_client.post(reverse("web:payout_details"), VALID, REMOTE_ADDR="203.0.113.7")
    anna_client.post(_link(), REMOTE_ADDR="198.51.100.9")
    rows = list(PayoutDetailsHistory.objects.filter(distributor=members.anna).order_by("id"))
    assert len(rows) == 2
    seeded, changed = rows
    assert seeded.source == PayoutDetailsHistory.Source.IMPORT
    assert seeded.changed_at == T0 - timedelta(days=30)
    assert changed.source == PayoutDetailsHistory.Source.SELF_SERVICE
    assert changed.changed_by == members.anna_user
    assert changed.changed_at == T0 + timedelta(minutes=5)
    assert changed.requested_from == "203.0.113.7"
    assert changed.confirmed_from == "198.51.100.9"
    assert (changed.old_account_holder, changed.new_account_holder) == ("Anna A.", "Anna Adler")
    assert (changed.old_iban, changed.new_iban) == ("**** 2874", "**** 3000")
    assert changed.bank_changed
    for row in rows:
        for field in ("old_iban", "new_iban", "old_tax_id", "new_tax_id"):
            assert len(getattr(row, field).replace("*", "").strip()) <= 4
    page = anna_client.get(reverse("web:payout_details")).text
    assert "**** 2874 → **** 3000" in page


def test_a_tax_id_change_alone_starts_no_cooling_off(anna_client, members, frozen):
    _seed(members.anna, GOOD_IBAN, T0 - timedelta(days=30), "Anna Adler", "COBADEFFXXX")
    _request(anna_client, tax_id="DE 999")
    anna_client.post(_link())
    profile = PayoutProfile.objects.get(distributor=members.anna)
    assert profile.tax_id == "DE 999"
    assert profile.bank_changed_at == T0 - timedelta(days=30)
    assert (
        not PayoutDetailsHistory.objects.filter(distributor=members.anna).latest("id").bank_changed
    )


# --------------------------------------------------------------------------- cooling-off


def test_a_bank_change_holds_payouts_for_the_cooling_off_then_releases_them(
    anna_client, members, frozen
):
    _seed(members.ben, OTHER_IBAN, T0 - timedelta(days=60))
    credit(members.anna, 5000)
    credit(members.ben, 3000, reference="T2")
    _request(anna_client)
    anna_client.post(_link())

    frozen.shift(timedelta(days=6, hours=23))
    batch = do_create_payout_batch("EUR", minimum=100, actor=members.maker)
    assert [(p.distributor.member_id, p.amount) for p in batch.payouts.all()] == [("BEN", 3000)]
    hold = batch.holds.get()
    assert hold.distributor == members.anna
    assert hold.reason == PayoutHold.Reason.COOLING_OFF
    assert hold.balance == 5000
    assert hold.detail == (
        "Bank details changed on 2026-03-02 13:00; payouts resume on 2026-03-09 13:00 "
        "(Europe/Berlin)."
    )

    frozen.shift(timedelta(hours=1))
    released = do_create_payout_batch("EUR", minimum=100, actor=members.maker)
    (payout,) = released.payouts.all()
    assert (payout.distributor, payout.amount, payout.iban) == (members.anna, 5000, GOOD_IBAN)
    assert not released.holds.exists()
    page = anna_client.get(reverse("web:payout_details")).text
    assert 'id="cooling-off"' not in page


def test_the_cooling_off_follows_the_setting(members, settings, frozen):
    settings.DOWNLINE_PAYOUT_COOLING_OFF_DAYS = 2
    _seed(members.anna, GOOD_IBAN, T0 - timedelta(days=1, hours=23))
    _seed(members.ben, OTHER_IBAN, T0 - timedelta(days=2, minutes=1))
    credit(members.anna, 5000)
    credit(members.ben, 3000, reference="T2")
    batch = do_create_payout_batch("EUR", minimum=100, actor=members.maker)
    assert [p.distributor for p in batch.payouts.all()] == [members.ben]
    assert batch.holds.get().reason == PayoutHold.Reason.COOLING_OFF


# --------------------------------------------------------------------------- own details only


def test_a_distributor_sees_and_confirms_only_their_own_details(client, members, frozen):
    _seed(members.anna, GOOD_IBAN, T0 - timedelta(days=30), holder="Anna Adler")
    client.force_login(members.ben_user)
    page = client.get(reverse("web:payout_details")).text
    assert "Anna Adler" not in page
    assert "3000" not in page
    assert 'id="payout-details-missing"' in page
    client.post(reverse("web:payout_details"), {**VALID, "account_holder": "Ben Brandt"})
    ben_link = _link()
    assert mail.outbox[-1].to == ["ben@example.com"]

    client.force_login(members.anna_user)
    refused = client.post(ben_link)
    assert refused.status_code == 400
    assert PayoutDetailsChange.objects.get().status == PayoutDetailsChange.Status.PENDING
    assert PayoutProfile.objects.get(distributor=members.anna).account_holder == "Anna Adler"
    assert not PayoutProfile.objects.filter(distributor=members.ben).exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, members):
    response = client.get(reverse("web:payout_details"))
    assert response.status_code == 302
    assert reverse("web:login") in response["Location"]


def test_profile_and_earnings_link_to_the_payout_details(anna_client):
    target = reverse("web:payout_details")
    assert target in anna_client.get(reverse("web:profile")).text
    assert target in anna_client.get(reverse("web:earnings")).text


# --------------------------------------------------------------------------- seeding


def test_seeding_writes_confirmed_details_and_history_in_bulk(
    members, frozen, django_assert_max_num_queries
):
    from downline.genealogy.actions import do_enroll

    people = [
        do_enroll(
            member_id=f"M{number:03d}", sponsor=members.root, joined_on=T0.date(), effective_at=T0
        )
        for number in range(60)
    ]
    when = T0 - timedelta(days=90)
    rows = [
        (person, f"Person {i}", GOOD_IBAN, "", f"T{i}", when) for i, person in enumerate(people)
    ]
    with django_assert_max_num_queries(8):
        assert do_seed_payout_details(rows) == 60
    assert PayoutProfile.objects.filter(bank_changed_at=when).count() == 60
    assert PayoutDetailsHistory.objects.filter(changed_at=when, new_iban="**** 3000").count() == 60
    assert mail.outbox == []
    assert not PayoutDetailsChange.objects.exists()
    # the same rows again change nothing
    assert do_seed_payout_details(rows) == 0
    assert PayoutDetailsHistory.objects.count() == 60


def test_seeding_refuses_a_bad_row_naming_it_and_writes_nothing(members, frozen):
    rows = [
        (members.anna, "Anna Adler", GOOD_IBAN, "", "T1", T0),
        (members.ben, "Ben Brandt", "DE00 1234", "", "T2", T0),
    ]
    with pytest.raises(PayoutDetailsError, match=r"Row 2 \(BEN\): IBAN: An IBAN from DE has 22"):
        do_seed_payout_details(rows)
    assert not PayoutProfile.objects.exists()
    assert not PayoutDetailsHistory.objects.exists()
