"""The plan lab through its pages: a simulation started from the form runs to completion (the
immediate task backend of the tests), reports its progress into its row as it goes, and its
page shows the figures of its metrics; bad input is refused field by field with nothing
written; a run still queued is polled until it is done."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.urls import reverse

from downline.simulation.models import SimulationRun
from downline.simulation.tasks import run_simulation

from .conftest import PLAN, UNILEVEL


def _form(**changes) -> dict:
    data = {
        "plan_version": "",
        "plan_text": "",
        "compare_version": "",
        "compare_text": "",
        "months": 3,
        "start_distributors": 20,
        "replicas": 2,
        "seed": 7,
        "params_text": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def admin(login_as, plan_version):
    return login_as("admin")


def test_a_simulation_started_on_the_page_runs_and_shows_its_metrics(admin, plan_version):
    progress: list[int] = []

    def watch(execute, sql, params, many, context):
        if sql.startswith('UPDATE "simulation_simulationrun"') and '"progress"' in sql:
            progress.append(next(p for p in params if isinstance(p, int) and 0 <= p <= 100))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        response = admin.post(reverse("planlab:lab"), _form(plan_version=plan_version.pk))
    run = SimulationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("planlab:run", args=[run.pk])
    assert run.status == SimulationRun.Status.DONE
    assert run.progress == 100
    # progress went up in steps while the 3 months × 2 replicas ran, then 100 at the end
    assert progress[0] == 0
    assert progress[-1] == 100
    assert progress == sorted(progress)
    assert len(set(progress)) >= 4
    assert run.plan_label == f"{plan_version.name} v{plan_version.number}"
    assert run.plan_text == plan_version.text

    metrics = run.metrics
    assert metrics["settings"]["months"] == 3
    assert metrics["settings"]["replicas"] == 2
    assert metrics["settings"]["seed"] == 7
    assert len(metrics["months"]) == 3

    page = admin.get(response["Location"])
    assert page.status_code == 200
    text = page.text
    assert "Key figures" in text
    participants = metrics["plans"][0]["income"]["participants"]
    assert re.search(rf'<td [^>]*class="num">{participants["mean"]:,}<br>', text)
    commissions = metrics["plans"][0]["totals"]["commissions"]["mean"]
    assert f"€{commissions // 100:,}.{commissions % 100:02d}" in text
    assert reverse("planlab:report", args=[run.pk]) in text
    assert 'sandbox="allow-scripts"' in text

    listing = admin.get(reverse("planlab:lab"))
    assert f"#{run.pk}</a>" in listing.text
    assert "hx-trigger" not in listing.text  # nothing left to poll


def test_the_same_seed_gives_the_same_metrics(admin, plan_version):
    for _ in range(2):
        admin.post(reverse("planlab:lab"), _form(plan_version=plan_version.pk))
    first, second = SimulationRun.objects.order_by("pk")
    assert first.metrics["plans"] == second.metrics["plans"]


def test_a_comparison_shows_both_plans_side_by_side(admin, plan_version):
    response = admin.post(
        reverse("planlab:lab"),
        _form(plan_version=plan_version.pk, compare_text=UNILEVEL.read_text(encoding="utf-8")),
    )
    run = SimulationRun.objects.get()
    assert run.status == SimulationRun.Status.DONE
    assert run.compare_label == "Unilevel (EUR) (pasted)"
    labels = [plan["label"] for plan in run.metrics["plans"]]
    assert len(labels) == 2
    page = admin.get(response["Location"]).text
    assert "Key figures of both plans side by side" in page
    for label in labels:
        assert label in page
    assert f"{labels[1]} − {labels[0]}" in page
    a, b = (p["totals"]["commissions"]["mean"] for p in run.metrics["plans"])
    delta = b - a
    sign = "+" if delta > 0 else "-" if delta < 0 else ""
    assert f"{sign}€{abs(delta) // 100:,}.{abs(delta) % 100:02d}" in page


def test_the_report_and_the_metrics_download(admin, plan_version):
    admin.post(reverse("planlab:lab"), _form(plan_version=plan_version.pk))
    run = SimulationRun.objects.get()
    report = admin.get(reverse("planlab:report", args=[run.pk]))
    assert report.status_code == 200
    assert report["Content-Type"].startswith("text/html")
    policy = report["Content-Security-Policy"]
    assert "sandbox allow-scripts" in policy
    assert "frame-ancestors 'self'" in policy
    assert "default-src 'none'" in policy
    assert report["X-Frame-Options"] == "SAMEORIGIN"
    body = report.content.decode()
    assert "echarts" in body  # the charts come inside the page, offline
    assert run.metrics["plans"][0]["name"] in body
    download = admin.get(reverse("planlab:report", args=[run.pk]) + "?download=1")
    assert download["Content-Disposition"] == f'attachment; filename="simulation-{run.pk}.html"'

    metrics = admin.get(reverse("planlab:metrics", args=[run.pk]))
    assert json.loads(metrics.content) == run.metrics
    assert "attachment" in metrics["Content-Disposition"]


def test_the_report_follows_the_readers_language(admin, plan_version):
    admin.post(reverse("planlab:lab"), _form(plan_version=plan_version.pk))
    run = SimulationRun.objects.get()
    admin.cookies["django_language"] = "de"
    report = admin.get(reverse("planlab:report", args=[run.pk]))
    assert '<html lang="de">' in report.content.decode()


def test_without_a_plan_nothing_starts(admin):
    response = admin.post(reverse("planlab:lab"), _form())
    assert response.status_code == 400
    assert "Choose a plan version or paste a plan." in response.text
    assert SimulationRun.objects.count() == 0


def test_numbers_out_of_range_are_named(admin, plan_version):
    response = admin.post(
        reverse("planlab:lab"),
        _form(plan_version=plan_version.pk, months=0, replicas=1000, start_distributors=0),
    )
    assert response.status_code == 400
    assert "Months must be between 1 and 600, not 0." in response.text
    assert "Replicas must be between 1 and 100, not 1000." in response.text
    assert "Distributors at the start must be between 1 and 100,000, not 0." in response.text
    assert "3 fields need attention" in response.text
    assert SimulationRun.objects.count() == 0


def test_a_pasted_plan_with_a_mistake_names_the_line(admin):
    text = PLAN.read_text(encoding="utf-8").replace("levels: [10%]", "levels: [10%]\n    rate: 3")
    response = admin.post(reverse("planlab:lab"), _form(plan_text=text))
    assert response.status_code == 400
    assert "pasted.yaml:23: bonuses[0].rate: unknown field" in response.text
    assert SimulationRun.objects.count() == 0


def test_a_version_and_a_pasted_plan_together_are_refused(admin, plan_version):
    response = admin.post(
        reverse("planlab:lab"),
        _form(plan_version=plan_version.pk, plan_text=PLAN.read_text(encoding="utf-8")),
    )
    assert response.status_code == 400
    assert "Choose a stored plan version or paste a plan, not both." in response.text
    assert SimulationRun.objects.count() == 0


def test_plans_in_different_currencies_are_not_compared(admin, plan_version):
    dollars = UNILEVEL.read_text(encoding="utf-8").replace("currency: EUR", "currency: USD")
    response = admin.post(
        reverse("planlab:lab"), _form(plan_version=plan_version.pk, compare_text=dollars)
    )
    assert response.status_code == 400
    assert "pays in USD but" in response.text
    assert "compare plans that pay in the same currency" in response.text
    assert SimulationRun.objects.count() == 0


def test_growth_parameters_with_a_mistake_name_the_field(admin, plan_version):
    response = admin.post(
        reverse("planlab:lab"),
        _form(
            plan_version=plan_version.pk,
            params_text="churn:\n  by_tenure: [0.1, 1.5]\n",
        ),
    )
    assert response.status_code == 400
    assert "parameters:2: churn.by_tenure[1]: must be at most 1" in response.text
    assert SimulationRun.objects.count() == 0


def test_growth_parameters_change_the_result(admin, plan_version):
    admin.post(reverse("planlab:lab"), _form(plan_version=plan_version.pk))
    admin.post(
        reverse("planlab:lab"),
        _form(plan_version=plan_version.pk, params_text="churn: {by_tenure: [1.0]}"),
    )
    default, everyone_leaves = SimulationRun.objects.order_by("pk")
    assert everyone_leaves.params_text == "churn: {by_tenure: [1.0]}"
    assert everyone_leaves.status == SimulationRun.Status.DONE
    left = everyone_leaves.metrics["network"]["registered"]["mean"][-1]
    assert left < default.metrics["network"]["registered"]["mean"][-1]


def test_a_queued_run_is_polled_until_it_is_done(admin, plan_version, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    response = admin.post(reverse("planlab:lab"), _form(plan_version=plan_version.pk))
    run = SimulationRun.objects.get()
    assert run.status == SimulationRun.Status.QUEUED

    listing = admin.get(reverse("planlab:lab")).text
    assert f'hx-get="{reverse("planlab:runs")}"' in listing
    assert 'aria-label="Progress of simulation' in listing
    page = admin.get(response["Location"]).text
    assert "Key figures" not in page
    fragment = admin.get(response["Location"], headers={"HX-Request": "true"})
    assert 'data-status="queued"' in fragment.text
    assert "HX-Refresh" not in fragment
    assert admin.get(reverse("planlab:report", args=[run.pk])).status_code == 404

    run_simulation.call(run.pk)  # what the worker does

    fragment = admin.get(response["Location"], headers={"HX-Request": "true"})
    assert 'data-status="done"' in fragment.text
    assert fragment["HX-Refresh"] == "true"
    assert "Key figures" in admin.get(response["Location"]).text
    assert "hx-trigger" not in admin.get(reverse("planlab:runs")).text
