"""Issue 11, finding 3: confirming an e-mail address never changes ``is_active``.

The attack: a deactivated login asked for a new confirmation link, opened it and was active
again. Now a confirmation marks the address confirmed and nothing else.
"""

from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from downline.accounts.actions import do_create_user
from downline.accounts.models import User
from downline.web.verification import make_token

from .conftest import PASSWORD


def _deactivated(db) -> User:
    user = do_create_user("gone", password=PASSWORD, email="gone@example.com")
    User.objects.filter(pk=user.pk).update(is_active=False)  # staff deactivated the login
    return User.objects.get(pk=user.pk)


def _sign_in(client, username: str):
    return client.post(reverse("web:login"), {"username": username, "password": PASSWORD})


def test_a_deactivated_login_gets_no_new_link(client, db):
    user = _deactivated(db)
    client.post(reverse("web:resend_verification"), {"email": "gone@example.com"})
    assert mail.outbox == []
    assert not User.objects.get(pk=user.pk).is_active


def test_a_valid_link_does_not_reactivate_a_deactivated_login(client, db):
    user = _deactivated(db)
    response = client.get(reverse("web:verify_email", args=[make_token(user, user.email)]))
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert user.email_verified
    refused = _sign_in(client, "gone")
    assert refused.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_changed_address_on_a_deactivated_login_leaves_it_deactivated(client, db):
    user = _deactivated(db)
    client.get(reverse("web:verify_email", args=[make_token(user, "new@example.com")]))
    user.refresh_from_db()
    assert (user.email, user.is_active) == ("new@example.com", False)


def test_a_new_member_confirms_the_address_and_then_signs_in(client, db):
    user = do_create_user(
        "new@example.com", password=PASSWORD, email="new@example.com", email_verified=False
    )
    before = _sign_in(client, "new@example.com")
    assert "confirm your e-mail address" in before.text
    client.post(reverse("web:resend_verification"), {"email": "new@example.com"})
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    client.get(link)
    user.refresh_from_db()
    assert user.email_verified
    assert user.is_active
    assert _sign_in(client, "new@example.com").status_code == 302


def test_logins_the_company_creates_count_as_confirmed(client, db):
    """``downline manage createsuperuser`` and the admin's "add user" make usable logins."""
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    assert _sign_in(client, "root").status_code == 302
