"""``downline check --deploy`` fails on an unsafe production configuration (issue 11).

Each of Downline's deployment checks on its own (settings overridden in the test process), then
the command as an operator runs it, on an unsafe and on a safe configuration.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.checks import Error, Warning, run_checks
from django.test import override_settings

from .helpers import GOOD_KEY, downline, user_environment

# the checks read settings.DATABASES only; no connection is opened with the overridden ones
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

SAFE = {
    "SECRET_KEY": GOOD_KEY,
    "DOWNLINE_SECRET_KEY_FILE": None,
    "DEBUG": False,
    "DOWNLINE_HTTPS": True,
    "ALLOWED_HOSTS": ["backoffice.example.com"],
    "DATABASES": {
        "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "downline"},
    },
    "DOWNLINE_PAYOUT_NAME": "Downline Demo Company GmbH",
    "DOWNLINE_PAYOUT_IBAN": "DE89370400440532013000",
    "DOWNLINE_PAYOUT_BIC": "COBADEFFXXX",
}


def downline_issues(**changes) -> dict[str, object]:
    """Downline's own deploy-check messages by id, for the safe settings with ``changes``."""
    with override_settings(**{**SAFE, **changes}):
        messages = run_checks(include_deployment_checks=True, tags=["security"])
    return {message.id: message for message in messages if message.id.startswith("downline.")}


def test_a_safe_configuration_has_no_downline_issue():
    assert downline_issues() == {}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"DOWNLINE_SECRET_KEY_FILE": Path("/srv/var/secret_key")}, "is not set"),
        ({"SECRET_KEY": "insecure-demo-key-change-me-in-production"}, "public demo key"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "insecure development keys"),
        ({"SECRET_KEY": "short-but-varied-key"}, "weak: 20 characters"),
        ({"SECRET_KEY": "ab" * 40}, "2 different"),
    ],
)
def test_a_missing_public_or_weak_secret_key_is_an_error(changes, expected):
    issue = downline_issues(**changes)["downline.E001"]
    assert isinstance(issue, Error)
    assert expected in issue.msg
    assert "secrets.token_urlsafe(50)" in issue.hint


@pytest.mark.parametrize(
    ("changes", "check_id"),
    [
        ({"DEBUG": True}, "downline.E002"),
        ({"DOWNLINE_HTTPS": False}, "downline.E003"),
        ({"ALLOWED_HOSTS": ["backoffice.example.com", "*"]}, "downline.E004"),
        (
            {"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}},
            "downline.E005",
        ),
    ],
)
def test_each_unsafe_setting_is_an_error(changes, check_id):
    issues = downline_issues(**changes)
    assert list(issues) == [check_id]
    assert isinstance(issues[check_id], Error)


def test_a_missing_payout_account_is_a_warning_naming_the_variables():
    issues = downline_issues(DOWNLINE_PAYOUT_IBAN="", DOWNLINE_PAYOUT_BIC=" ")
    assert list(issues) == ["downline.W001"]
    assert isinstance(issues["downline.W001"], Warning)
    assert "DOWNLINE_PAYOUT_IBAN, DOWNLINE_PAYOUT_BIC" in issues["downline.W001"].msg


def test_the_checks_only_run_for_deploy():
    with override_settings(DEBUG=True, DOWNLINE_HTTPS=False, ALLOWED_HOSTS=["*"]):
        messages = run_checks(include_deployment_checks=False, tags=["security"])
    assert not [m for m in messages if m.id.startswith("downline.")]


def test_the_command_fails_on_an_unsafe_configuration(tmp_path):
    """The demo's defaults are not a production configuration."""
    env = user_environment(
        tmp_path / "var", DOWNLINE_SECRET_KEY="too-short", DOWNLINE_ALLOWED_HOSTS="*"
    )
    done = downline("check", "--deploy", env=env, cwd=tmp_path)
    assert done.returncode != 0
    for check_id in ("downline.E001", "downline.E003", "downline.E004", "downline.E005"):
        assert check_id in done.stderr
    # without --deploy the same configuration is fine for a demo
    assert downline("check", env=env, cwd=tmp_path).returncode == 0


def test_the_command_passes_on_a_production_configuration(tmp_path):
    env = user_environment(
        tmp_path / "var",
        DOWNLINE_SECRET_KEY=GOOD_KEY,
        DOWNLINE_HTTPS="1",
        DOWNLINE_ALLOWED_HOSTS="backoffice.example.com",
        DATABASE_URL="postgres://downline@db.example.com:5432/downline",
        DOWNLINE_SMTP_URL="smtp+tls://mailer:secret@mail.example.com:587",
        DOWNLINE_PAYOUT_NAME="Downline Demo Company GmbH",
        DOWNLINE_PAYOUT_IBAN="DE89370400440532013000",
        DOWNLINE_PAYOUT_BIC="COBADEFFXXX",
    )
    done = downline("check", "--deploy", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "downline." not in done.stdout + done.stderr
