"""No public secret key signs anything (issue 11, finding 2).

Outside debug and the demo Downline refuses to start without ``DOWNLINE_SECRET_KEY``; the demo
makes a random key per installation in its data folder (mode 0600) and keeps it.
"""

from __future__ import annotations

import stat

import pytest
from django.core import signing
from django.test import Client

from downline.core.secret_key import (
    MissingSecretKey,
    ensure_key_file,
    key_file,
    resolve_secret_key,
)
from downline.web.verification import SALT

from .helpers import GOOD_KEY, downline, user_environment

PUBLIC_KEY = "insecure-demo-key-change-me-in-production"


def test_the_environment_key_wins(tmp_path):
    ensure_key_file(tmp_path)
    assert resolve_secret_key({"DOWNLINE_SECRET_KEY": GOOD_KEY}, tmp_path, debug=False) == (
        GOOD_KEY,
        None,
    )


def test_without_a_key_outside_debug_it_refuses_in_one_line(tmp_path):
    with pytest.raises(MissingSecretKey) as refused:
        resolve_secret_key({}, tmp_path, debug=False)
    message = str(refused.value)
    assert "\n" not in message
    assert "DOWNLINE_SECRET_KEY is not set" in message
    assert "secrets.token_urlsafe(50)" in message
    assert not key_file(tmp_path).exists(), "nothing is made outside debug and the demo"


def test_the_public_key_of_earlier_versions_is_refused(tmp_path):
    with pytest.raises(MissingSecretKey, match="public demo key"):
        resolve_secret_key({"DOWNLINE_SECRET_KEY": PUBLIC_KEY}, tmp_path, debug=False)


def test_debug_makes_a_private_random_key_file_and_keeps_it(tmp_path):
    key, source = resolve_secret_key({}, tmp_path / "var", debug=True)
    assert source == tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(source.stat().st_mode) == 0o600
    assert len(key) >= 50
    assert key != PUBLIC_KEY
    assert resolve_secret_key({}, tmp_path / "var", debug=True) == (key, source)
    # another installation gets another key
    assert resolve_secret_key({}, tmp_path / "other", debug=True)[0] != key


def test_an_existing_key_file_is_used_outside_debug(tmp_path):
    path = ensure_key_file(tmp_path)
    key, source = resolve_secret_key({}, tmp_path, debug=False)
    assert source == path
    assert key == path.read_text().strip()


def test_an_empty_key_file_is_refused(tmp_path):
    key_file(tmp_path).write_text("\n")
    with pytest.raises(MissingSecretKey, match="is empty"):
        resolve_secret_key({}, tmp_path, debug=False)


def test_a_readable_key_file_is_made_private(tmp_path):
    path = ensure_key_file(tmp_path)
    path.chmod(0o644)
    resolve_secret_key({}, tmp_path, debug=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_command_refuses_to_start_without_a_key(tmp_path):
    done = downline("check", env=user_environment(tmp_path / "var"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("downline: error: DOWNLINE_SECRET_KEY is not set")
    assert "Traceback" not in done.stderr


def test_the_command_starts_with_a_key(tmp_path):
    env = user_environment(tmp_path / "var", DOWNLINE_SECRET_KEY=GOOD_KEY)
    done = downline("check", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_the_demo_makes_its_key_on_first_start_and_reuses_it(tmp_path):
    """`downline demo` makes DOWNLINE_VAR_DIR/secret_key before Django starts; later demo
    starts and the other commands of that folder use the same key."""
    var_dir = tmp_path / "var"
    env = user_environment(var_dir)
    first = downline("demo", "--help", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    path = var_dir / "secret_key"
    key = path.read_text().strip()
    assert len(key) >= 50
    assert key != PUBLIC_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = downline("demo", "--help", env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert path.read_text().strip() == key
    assert downline("check", env=env, cwd=tmp_path).returncode == 0


@pytest.mark.django_db
def test_a_link_forged_with_the_public_key_changes_no_address(django_user_model):
    """The attack: a verification link signed with the once-default key moves a staff
    login's address to the attacker's."""
    staff = django_user_model.objects.create_user(
        username="boss", email="boss@example.com", password="x", is_staff=True
    )
    forged = signing.dumps(
        {"u": staff.pk, "e": "attacker@example.net"}, key=PUBLIC_KEY, salt=SALT, compress=True
    )
    response = Client().get(f"/accounts/verify/{forged}/")
    assert response.status_code == 400
    staff.refresh_from_db()
    assert staff.email == "boss@example.com"
