"""``/healthz`` for load balancers: 200 when the database answers, 503 when it does not
(issue 10). No login, no session, whatever the Host header, never redirected to HTTPS."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from .helpers import GOOD_KEY, python, user_environment


@pytest.mark.django_db
def test_healthy_is_200_ok_without_session():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert not response.cookies, "a health check opens no session"


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["backoffice.example.com"])
def test_a_load_balancer_asking_by_address_over_http_gets_its_answer():
    response = Client().get("/healthz", HTTP_HOST="10.0.3.17:8000")
    assert response.status_code == 200
    # the rest of the site still redirects and checks hosts
    assert Client().get("/accounts/login/", HTTP_HOST="10.0.3.17:8000").status_code == 400


@pytest.mark.django_db
def test_the_url_is_routed_without_the_middleware_too():
    middleware = [m for m in settings.MIDDLEWARE if not m.endswith("HealthCheckMiddleware")]
    with override_settings(MIDDLEWARE=middleware):
        response = Client().get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_only_reads_are_answered(db):
    assert Client().post("/healthz").status_code == 405
    assert Client().head("/healthz").status_code == 200


HEALTH_SCRIPT = (
    "import django, os, json;"
    "os.environ['DJANGO_SETTINGS_MODULE'] = 'downline.settings.base';"
    "django.setup();"
    "from django.test import Client;"
    "r = Client().get('/healthz');"
    "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
)


@pytest.mark.parametrize(
    "database_url",
    [
        "sqlite:////nonexistent-downline-dir/downline.sqlite3",  # cannot be opened
        "postgres://postgres@127.0.0.1:1/downline",  # nothing listens there
    ],
)
def test_a_database_that_does_not_answer_is_503(tmp_path, database_url):
    env = user_environment(tmp_path, DOWNLINE_SECRET_KEY=GOOD_KEY, DATABASE_URL=database_url)
    done = python(HEALTH_SCRIPT, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"status": 503, "body": {"status": "error", "database": "error"}}
    logged = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert any(
        e["logger"] == "downline.core.health" and e["level"] == "ERROR" and "exception" in e
        for e in logged
    ), done.stderr
