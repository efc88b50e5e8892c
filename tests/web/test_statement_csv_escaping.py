"""statement.csv never carries a spreadsheet formula, and its negative amounts stay numbers.

Before: an order number or member id starting with ``=``, ``+``, ``-`` or ``@`` (from a shop
integration, or stored before the id alphabet) went into the statement CSV as it was.
"""

import csv
import io

from django.urls import reverse

from downline.core.csv_safety import FORMULA_STARTS, is_plain_number
from downline.genealogy.models import Distributor
from downline.orders.models import Order


def test_statement_csv_escapes_formulas_and_keeps_clawbacks_numeric(client, settled):
    Order.objects.filter(pk=settled.refund.pk).update(number="=cmd|' /C calc'!A0")
    Distributor.objects.filter(pk=settled.team.carol.pk).update(member_id="@CAROL")
    client.force_login(settled.team.alice_user)
    response = client.get(reverse("web:statement_csv", args=["2026-09"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows for cell in row.values() if cell]
    dangerous = [c for c in cells if c.startswith(FORMULA_STARTS) and not is_plain_number(c)]
    assert dangerous == []
    clawbacks = [row for row in rows if row["kind"] == "clawback"]
    assert {row["return"] for row in clawbacks} == {"'=cmd|' /C calc'!A0"}
    assert sorted(row["amount"] for row in clawbacks) == ["-1.00", "-1.00"]
    assert "'@CAROL" in {row["source"] for row in clawbacks}
