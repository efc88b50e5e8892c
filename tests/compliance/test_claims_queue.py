"""``submit_text``, ``review_status`` and the console's review queue (capability
``claims_review``): a held text is queued once, staff approve or reject it with a reason, the
decision is an event, and other roles cannot reach the queue."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from downline.accounts.actions import do_create_user
from downline.compliance.claims import ClaimBlocked, review_status, submit_text
from downline.compliance.models import ClaimReview
from downline.core.models import Event
from downline.genealogy.actions import do_enroll

PASSWORD = "a-long-secret-phrase"


def staff_client(username: str, *roles: str) -> Client:
    client = Client()
    user = do_create_user(username, password=PASSWORD, email=f"{username}@example.com", staff=True)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client.force_login(user)
    token = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    assert client.post("/accounts/two-factor/", {"code": f"{token:06d}"}).status_code == 302
    return client


@pytest.fixture
def author(db):
    return do_enroll(member_id="EMMA", sponsor=None, joined_on=date(2026, 1, 5), name="Emma Stone")


def test_block_raises_and_queues_nothing(author):
    with pytest.raises(ClaimBlocked) as caught:
        submit_text("Our shake cures cancer", author=author, source_kind="page", source_id="1")
    assert "cures" in caught.value.messages[0]
    assert caught.value.result.verdict == "block"
    assert not ClaimReview.objects.exists()
    assert review_status("page", "1") == "none"


def test_review_is_queued_once_and_a_clean_text_withdraws_it(author):
    text = "I reached financial freedom in a year"
    assert submit_text(text, author=author, source_kind="page", source_id="7").verdict == "review"
    submit_text(text, author=author, source_kind="page", source_id="7")
    assert ClaimReview.objects.filter(status="pending").count() == 1
    assert review_status("page", "7") == "pending"
    review = ClaimReview.objects.get()
    assert review.findings[0]["category"] == "income"
    assert review.author == author
    # a new clean text of the same page withdraws the pending review
    assert submit_text("A calm morning", author=author, source_kind="page", source_id="7").allowed
    assert review_status("page", "7") == "none"
    assert submit_text(
        "Join my team", author=author, source_kind="page", source_id="8"
    ).verdict == ("disclose")
    assert review_status("page", "8") == "none"


def test_console_queue_approve_and_reject(author):
    submit_text("Fire your boss!", author=author, source_kind="email", source_id="a")
    submit_text("Passive income for you", author=author, source_kind="post", source_id="b")
    support = staff_client("sue", "support")
    queue = support.get("/console/compliance/claims/")
    assert queue.status_code == 200
    body = queue.content.decode()
    assert "email:a" in body
    assert "post:b" in body
    assert "Emma Stone" in body
    first, second = ClaimReview.objects.order_by("pk")
    page = support.get(f"/console/compliance/claims/{first.pk}/")
    assert "<mark" in page.content.decode()
    assert "Fire your boss" in page.content.decode()

    # rejecting needs a reason
    refused = support.post(f"/console/compliance/claims/{first.pk}/", {"decision": "rejected"})
    assert refused.status_code == 400
    assert review_status("email", "a") == "pending"
    response = support.post(
        f"/console/compliance/claims/{first.pk}/",
        {"decision": "rejected", "reason": "A lifestyle promise."},
    )
    assert response.status_code == 302
    assert review_status("email", "a") == "rejected"
    support.post(f"/console/compliance/claims/{second.pk}/", {"decision": "approved"})
    assert review_status("post", "b") == "approved"
    events = Event.objects.filter(kind="claim.reviewed").order_by("pk")
    assert [e.payload for e in events] == [
        {"source_kind": "email", "source_id": "a", "decision": "rejected"},
        {"source_kind": "post", "source_id": "b", "decision": "approved"},
    ]
    assert events[0].member_id == author.pk
    # an approved text submitted again is not queued again; a decided one cannot be re-decided
    submit_text("Passive income for you", author=author, source_kind="post", source_id="b")
    assert review_status("post", "b") == "approved"
    again = support.post(
        f"/console/compliance/claims/{second.pk}/", {"decision": "rejected", "reason": "x"}
    )
    assert again.status_code == 400
    assert "already decided" in again.content.decode()
    decided = support.get("/console/compliance/claims/?status=rejected").content.decode()
    assert "email:a" in decided
    # the rejected e-mail rewritten without claims: the rejection no longer applies
    submit_text("Come to our tea tasting", author=author, source_kind="email", source_id="a")
    assert review_status("email", "a") == "none"
    # …and a new claim in it is queued afresh
    submit_text("Fire your boss today!", author=author, source_kind="email", source_id="a")
    assert review_status("email", "a") == "pending"


def test_other_roles_and_outsiders_cannot_reach_the_queue(author, client):
    submit_text("Fire your boss!", author=author, source_kind="email", source_id="a")
    review = ClaimReview.objects.get()
    finance = staff_client("fin", "finance")
    assert finance.get("/console/compliance/claims/").status_code == 403
    assert (
        finance.post(
            f"/console/compliance/claims/{review.pk}/", {"decision": "approved"}
        ).status_code
        == 403
    )
    assert client.get("/console/compliance/claims/").status_code in (302, 404)
    assert review_status("email", "a") == "pending"
