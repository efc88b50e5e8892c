"""Security review of issue 11's fixes: attacks that still worked, each reproduced.

Sign-in slow-down as a denial of service: refused attempts ("try again in N s") cost the
attacker nothing, so one address polling a username claims every slot the moment it opens and
keeps a member without an authenticator out for good. The owner's way back is the password
reset: it proves the mailbox, lifts the slow-down and signs them in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail
from django.urls import reverse

from .conftest import PASSWORD

NOW = datetime(2026, 3, 2, 10, 0, 1, tzinfo=UTC)
ATTACKER, OWNER = "203.0.113.66", "198.51.100.2"


def _login(client, username: str, password: str, address: str):
    return client.post(
        reverse("web:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _keep_slowed(attacker, clock, seconds: int) -> None:
    """The attacker polls every second and spends each slot that opens on a wrong password."""
    for _ in range(seconds):
        _login(attacker, "alice", "wrong", ATTACKER)
        clock.shift(timedelta(seconds=1))


def test_a_polling_attacker_keeps_the_owner_out_until_a_password_reset(client, team, settings):
    from django.test import Client

    settings.DOWNLINE_LOGIN_MAX_DELAY_SECONDS = 16
    attacker = Client()
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(5):
            _login(attacker, "alice", "wrong", ATTACKER)
        _keep_slowed(attacker, clock, 40)
        refused = _login(client, "alice", PASSWORD, OWNER)
        assert "Please try again in" in refused.text
        assert "_auth_user_id" not in client.session

        client.post(reverse("web:password_reset"), {"email": "alice@example.com"})
        link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
        form_page = client.get(link, follow=True)
        new = "a-brand-new-phrase-42"
        client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
        assert client.session.get("_auth_user_id") == str(team.alice_user.pk)
        assert client.get(reverse("web:dashboard")).status_code == 200

        # the slow-down is lifted too: after signing out the owner signs in with the new password
        client.post(reverse("web:logout"))
        assert _login(client, "alice", new, OWNER).status_code == 302
