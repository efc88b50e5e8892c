"""The seeded company is what the other tests' hand computations assume."""

from downline.compensation.models import CommissionLine, RunResult


def test_the_september_final_run_pays_what_the_fixture_says(company):
    run = company.runs["2026-09"]
    earned = {
        r.distributor.member_id: r.earned
        for r in RunResult.objects.filter(run=run).select_related("distributor")
    }
    assert earned == {"R": 1700, "A": 4200, "B": 0, "C": 3000, "D": 3000, "E": 0}
    assert run.total_paid == 11900
    clawed = CommissionLine.objects.filter(clawback__isnull=False)
    assert [(line.recipient_id, line.amount) for line in clawed] == [(company["R"].pk, -200)]
    assert company.orders["o10"].after_close
