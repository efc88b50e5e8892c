"""Who may open the plan lab and the compliance pages: admin and finance; support and staff
without a role get 403; staff without a confirmed one-time code are sent to confirm one; a
distributor gets 404 (the console's addresses tell an outsider nothing); the anonymous are sent
to sign in. Guessed ids of simulations answer 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from downline.accounts.actions import do_create_user
from downline.simulation.actions import SimulationRequest, do_start_simulation
from downline.simulation.models import SimulationRun


@pytest.fixture
def finished_run(company) -> SimulationRun:
    starter = do_create_user("starter", password="a-long-secret-phrase", staff=True)
    return do_start_simulation(
        SimulationRequest(
            plan_version=company.version, months=2, start_distributors=5, replicas=1, seed=3
        ),
        actor=starter,
    )


def _pages(run: SimulationRun) -> list[str]:
    statement = "?first=2026-08&last=2026-09&language=en"
    return [
        reverse("planlab:lab"),
        reverse("planlab:runs"),
        reverse("planlab:run", args=[run.pk]),
        reverse("planlab:report", args=[run.pk]),
        reverse("planlab:metrics", args=[run.pk]),
        reverse("compliance:statement"),
        reverse("compliance:statement") + statement,
        reverse("compliance:statement_html") + statement,
        reverse("compliance:indicators"),
        reverse("compliance:indicators") + "?period=2026-09&leader=A",
    ]


def test_the_anonymous_are_sent_to_sign_in(login_as, finished_run):
    client = login_as("anonymous")
    for url in _pages(finished_run):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("web:login")), url


def test_a_distributor_finds_nothing(login_as, finished_run):
    client = login_as("distributor")
    for url in _pages(finished_run):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("planlab:lab"), {"months": 1})
    assert response.status_code == 404
    assert SimulationRun.objects.count() == 1


def test_staff_must_confirm_a_one_time_code_first(login_as, finished_run):
    client = login_as("unverified")
    for url in _pages(finished_run):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("web:two_factor")), url


@pytest.mark.parametrize("role", ["support", "nobody"])
def test_staff_whose_role_does_not_include_the_pages_get_403(login_as, finished_run, role):
    client = login_as(role)
    for url in _pages(finished_run):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("planlab:lab"),
        {
            "plan_version": finished_run.plan_version_id,
            "months": 1,
            "start_distributors": 5,
            "replicas": 1,
            "seed": 1,
        },
    )
    assert response.status_code == 403
    assert SimulationRun.objects.count() == 1


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_admin_and_finance_open_every_page(login_as, finished_run, role):
    client = login_as(role)
    for url in _pages(finished_run):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("name", ["planlab:run", "planlab:report", "planlab:metrics"])
def test_guessed_simulation_ids_are_404(login_as, finished_run, name):
    client = login_as("admin")
    assert client.get(reverse(name, args=[finished_run.pk + 1000])).status_code == 404
