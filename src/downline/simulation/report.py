"""``report.html``: the metrics of a simulation as one self-contained page.

Everything is inside the file: the styles, the data, and Apache ECharts itself (vendored under
``downline/web/static/vendor/echarts``), so the page opens offline and can be mailed. Text is
translated into the current language (``DOWNLINE_LANGUAGE``). Money is shown from the integer
minor units of ``metrics.json`` as exact decimals; ratios as percentages.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from html import escape
from importlib.resources import files

from downline.core.formatting import format_money, format_number
from downline.i18n import current_language, ngettext
from downline.i18n import gettext as _
from downline.money import format_decimal

ECHARTS = ("downline", "web/static/vendor/echarts/echarts.min.js")
COLOURS = ["#2f6fb0", "#d9822b", "#3f9c5a", "#9b59b6", "#c0392b", "#7f8c8d"]


def _label(labels: dict[str, str] | None) -> str | None:
    """The plan's display name in the report's language, then English (``None`` if neither)."""
    labels = labels or {}
    return labels.get(current_language().split("-")[0]) or labels.get("en")


def _shown(name: str, ranks: dict, index: int) -> str:
    """Rank ``index``'s display name (metrics stored before labels existed show the name)."""
    labels = ranks.get("labels") or []
    return (_label(labels[index]) if index < len(labels) else None) or name


def echarts_source() -> str:
    package, path = ECHARTS
    return files(package).joinpath(path).read_text(encoding="utf-8")


class Formatter:
    """Figures of the report in the language of the report (``downline.i18n``): money and
    counts through ``core.formatting`` (Babel), with that language's locale passed explicitly
    because the report is also written by the command line, where Django is not set up."""

    def __init__(self, metrics: dict) -> None:
        self.code = metrics["currency"]["code"]
        self.minor = metrics["currency"]["minor_digits"]
        self.locale = current_language()

    def money(self, value: int | None) -> str:
        if value is None:
            return "–"
        return format_money(int(value), self.code, places=self.minor, locale=self.locale)

    def major(self, value: int | None) -> float | None:
        """Minor units as a number of currency units, for a chart axis."""
        return None if value is None else float(format_decimal(int(value), self.minor))

    def percent(self, value: float | None) -> str:
        """A share as a percentage with one decimal: ``0.125`` → ``12.5%`` / ``12,5%``."""
        if value is None:
            return "–"
        return format_number(Decimal(str(round(value * 100, 1))), 1, locale=self.locale) + "%"

    def count(self, value: int | None) -> str:
        return "–" if value is None else format_number(int(value), locale=self.locale)

    def decimal(self, value: float | None) -> str:
        if value is None:
            return "–"
        return format_number(Decimal(str(round(value, 3))), 3, locale=self.locale)


def _band_text(item: dict | None, show) -> str:
    if item is None:
        return "–"
    return f"{show(item['mean'])} <small>({show(item['p10'])} – {show(item['p90'])})</small>"


def _table(head: list[str], rows: list[list[str]]) -> str:
    header = "".join(f"<th>{escape(cell)}</th>" for cell in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _line_band_chart(months: list[str], plans: list[dict], key: str, scale, title: str) -> dict:
    """Mean line and a shaded p10–p90 band per plan (a stacked pair of invisible/filled areas)."""
    series = []
    for k, plan in enumerate(plans):
        data = plan[key]
        colour = COLOURS[k % len(COLOURS)]
        low = [scale(value) for value in data["p10"]]
        high = [scale(value) for value in data["p90"]]
        width = [
            None if a is None or b is None else round(b - a, 6)
            for a, b in zip(low, high, strict=True)
        ]
        stack = f"band{k}"
        series += [
            {
                "type": "line",
                "data": low,
                "stack": stack,
                "symbol": "none",
                "lineStyle": {"opacity": 0},
                "silent": True,
                "tooltip": {"show": False},
            },
            {
                "type": "line",
                "data": width,
                "stack": stack,
                "symbol": "none",
                "lineStyle": {"opacity": 0},
                "areaStyle": {"color": colour, "opacity": 0.18},
                "silent": True,
                "tooltip": {"show": False},
            },
            {
                "type": "line",
                "name": plan["label"],
                "data": [scale(v) for v in data["mean"]],
                "color": colour,
                "symbolSize": 4,
            },
        ]
    return {
        "title": {"text": title, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24, "data": [plan["label"] for plan in plans]},
        "grid": {"top": 60, "left": 60, "right": 20, "bottom": 30},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value"},
        "series": series,
    }


def _bars(categories: list[str], groups: list[tuple[str, list]], title: str, stack=False) -> dict:
    return {
        "title": {"text": title, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24},
        "grid": {"top": 60, "left": 60, "right": 20, "bottom": 30},
        "xAxis": {"type": "category", "data": categories},
        "yAxis": {"type": "value"},
        "series": [
            {
                "type": "bar",
                "name": name,
                "data": values,
                **({"stack": "all"} if stack else {}),
                "color": COLOURS[k % len(COLOURS)],
            }
            for k, (name, values) in enumerate(groups)
        ],
    }


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 4)


def render_report(metrics: dict) -> str:
    """The HTML page of ``metrics`` (a ``metrics.json`` document)."""
    show = Formatter(metrics)
    months = metrics["months"]
    plans = metrics["plans"]
    network = metrics["network"]
    settings = metrics["settings"]
    labels = [plan["label"] for plan in plans]
    charts: dict[str, dict] = {}
    sections: list[str] = []

    def chart(name: str, option: dict, height: int = 320) -> str:
        charts[name] = option
        return f'<div class="chart" id="{name}" style="height:{height}px"></div>'

    plan_names = ", ".join(
        f"{escape(plan['label'])}: {escape(plan['name'])} ({escape(plan['file'])})"
        for plan in plans
    )
    sections.append(
        "<p>"
        + escape(
            _(
                "%(months)d months from %(start)s, %(distributors)d starting distributors, "
                "%(replicas)d replicas, seed %(seed)d."
            )
            % {
                "months": settings["months"],
                "start": months[0] if months else "",
                "distributors": settings["start_distributors"],
                "replicas": settings["replicas"],
                "seed": settings["seed"],
            }
        )
        + "</p><p>"
        + escape(_("Plans"))
        + ": "
        + plan_names
        + "</p><p class='note'>"
        + escape(
            _(
                "Each figure is the mean over the replicas; the range in brackets and the "
                "shaded band run from the 10th to the 90th percentile of the replicas."
            )
        )
        + "</p>"
    )

    # payout ratio and commissions
    sections.append("<h2>" + escape(_("Payout ratio per month")) + "</h2>")
    sections.append(
        chart(
            "payout",
            _line_band_chart(months, plans, "payout_ratio_cv", _percent, _("Commissions ÷ CV, %")),
        )
    )
    sections.append(
        chart(
            "commissions",
            _line_band_chart(
                months,
                plans,
                "paid",
                show.major,
                _("Commissions per month, %(currency)s") % {"currency": show.code},
            ),
        )
    )
    rows = [
        [escape(_("Total commissions"))]
        + [_band_text(p["totals"]["commissions"], show.money) for p in plans],
        [escape(_("Payout ratio (commissions ÷ CV)"))]
        + [_band_text(p["totals"]["payout_ratio_cv"], show.percent) for p in plans],
        [escape(_("Payout ratio (commissions ÷ turnover)"))]
        + [_band_text(p["totals"]["payout_ratio_turnover"], show.percent) for p in plans],
        [escape(_("Breakage (caps and pools)"))]
        + [_band_text(p["totals"]["breakage"], show.money) for p in plans],
        [escape(_("of which caps"))]
        + [_band_text(p["totals"]["cap_breakage"], show.money) for p in plans],
        [escape(_("of which pools"))]
        + [_band_text(p["totals"]["pool_breakage"], show.money) for p in plans],
        [escape(_("Rounding remainder"))]
        + [_band_text(p["totals"]["rounding"], show.money) for p in plans],
        [escape(_("Share of commissions from recruiting-linked volume"))]
        + [_band_text(p["totals"]["linked_share"], show.percent) for p in plans],
    ]
    sections.append("<h2>" + escape(_("Totals over the simulated months")) + "</h2>")
    sections.append(_table(["", *labels], rows))

    # income distribution
    sections.append("<h2>" + escape(_("Income distribution over all participants")) + "</h2>")
    sections.append(
        "<p class='note'>"
        + escape(
            _(
                "Everyone who was ever a distributor, including those who left and those who "
                "earned nothing; earnings summed over the simulated months."
            )
        )
        + "</p>"
    )
    income_rows = [
        (_("Participants"), "participants", show.count),
        (_("Earning nothing"), "nothing_share", show.percent),
        (_("Median"), "median", show.money),
        (_("Mean"), "mean", show.money),
        (_("90th percentile"), "p90", show.money),
        (_("99th percentile"), "p99", show.money),
        (_("Share of the top 1%"), "top_1pct_share", show.percent),
        (_("Gini coefficient"), "gini", show.decimal),
    ]
    rows = [
        [escape(title)] + [_band_text((p["income"] or {}).get(key), fmt) for p in plans]
        for title, key, fmt in income_rows
    ]
    sections.append(_table(["", *labels], rows))
    bracket_names = [_("nothing")]
    bounds = plans[0]["income_brackets"]["upper_bounds"]
    for low, high in itertools.pairwise(bounds):
        bracket_names.append(f"{low:,}–{high:,}")
    bracket_names.append(f"> {bounds[-1]:,}")
    sections.append(
        chart(
            "brackets",
            _bars(
                bracket_names,
                [
                    (
                        p["label"],
                        [None if c is None else c["mean"] for c in p["income_brackets"]["counts"]],
                    )
                    for p in plans
                ],
                _("Participants by earnings over the simulated months, %(currency)s")
                % {"currency": show.code},
            ),
        )
    )
    sections.append("<h3>" + escape(_("Earnings net of own purchases")) + "</h3>")
    net_rows = [
        (_("Net below zero"), "negative_share", show.percent),
        (_("10th percentile"), "p10", show.money),
        (_("Median"), "median", show.money),
        (_("Mean"), "mean", show.money),
        (_("90th percentile"), "p90", show.money),
    ]
    rows = [
        [escape(title)] + [_band_text((p["net_of_purchases"] or {}).get(key), fmt) for p in plans]
        for title, key, fmt in net_rows
    ]
    sections.append(_table(["", *labels], rows))

    # ranks
    sections.append("<h2>" + escape(_("Ranks")) + "</h2>")
    for k, plan in enumerate(plans):
        sections.append(
            chart(
                f"ranks{k}",
                {
                    "title": {
                        "text": _("Paid-as ranks of registered distributors: %(plan)s")
                        % {"plan": plan["label"]},
                        "textStyle": {"fontSize": 14},
                    },
                    "tooltip": {"trigger": "axis"},
                    "legend": {"top": 24},
                    "grid": {"top": 60, "left": 60, "right": 20, "bottom": 30},
                    "xAxis": {"type": "category", "data": months},
                    "yAxis": {"type": "value"},
                    "series": [
                        {
                            "type": "line",
                            "name": _shown(name, plan["ranks"], r),
                            "stack": "ranks",
                            "areaStyle": {},
                            "symbol": "none",
                            "data": plan["ranks"]["by_month"][r],
                        }
                        for r, name in enumerate(plan["ranks"]["names"])
                    ],
                },
            )
        )
        rows = [
            [
                escape(_shown(name, plan["ranks"], r)),
                _band_text(plan["ranks"]["last_month"][r], show.count),
            ]
            for r, name in enumerate(plan["ranks"]["names"])
        ]
        sections.append(_table([_("Rank"), _("Distributors in the last month")], rows))

    # network
    sections.append("<h2>" + escape(_("The network")) + "</h2>")
    sections.append(
        chart(
            "network",
            {
                "title": {"text": _("Distributors per month"), "textStyle": {"fontSize": 14}},
                "tooltip": {"trigger": "axis"},
                "legend": {"top": 24},
                "grid": {"top": 60, "left": 60, "right": 20, "bottom": 30},
                "xAxis": {"type": "category", "data": months},
                "yAxis": {"type": "value"},
                "series": [
                    {
                        "type": "line",
                        "name": _("registered"),
                        "data": network["registered"]["mean"],
                    },
                    {"type": "bar", "name": _("joined"), "data": network["joined"]["mean"]},
                    {"type": "bar", "name": _("left"), "data": network["left"]["mean"]},
                    {
                        "type": "line",
                        "name": _("retail customers"),
                        "data": network["customers"]["mean"],
                    },
                    *[
                        {
                            "type": "line",
                            "name": _("active (%(plan)s)") % {"plan": p["label"]},
                            "data": p["active"]["mean"],
                            "lineStyle": {"type": "dashed"},
                        }
                        for p in plans
                    ],
                ],
            },
        )
    )
    sections.append("<h2>" + escape(_("Customer versus internal volume")) + "</h2>")
    sections.append(
        chart(
            "volume",
            _bars(
                months,
                [
                    (
                        _("retail customers' CV"),
                        [show.major(v) for v in network["customer_cv"]["mean"]],
                    ),
                    (
                        _("distributors' own CV"),
                        [show.major(v) for v in network["internal_cv"]["mean"]],
                    ),
                ],
                _("CV per month"),
                stack=True,
            ),
        )
    )
    sections.append(
        "<p>"
        + escape(_("Customer share of CV over the simulated months"))
        + ": "
        + _band_text(network["customer_cv_share_total"], show.percent)
        + "</p>"
    )

    # retention
    sections.append("<h2>" + escape(_("Retention by cohort")) + "</h2>")
    retention = network["retention"]
    heat = []
    for c, row in enumerate(retention["by_cohort"]):
        for age, value in enumerate(row):
            if value is not None:
                heat.append([age, c, round(value * 100, 1)])
    sections.append(
        chart(
            "retention",
            {
                "title": {
                    "text": _("Share of each cohort still registered, %"),
                    "textStyle": {"fontSize": 14},
                },
                "tooltip": {"position": "top"},
                "grid": {"top": 40, "left": 80, "right": 90, "bottom": 50},
                "xAxis": {
                    "type": "category",
                    "name": _("months since joining"),
                    "data": list(range(len(months))),
                },
                "yAxis": {"type": "category", "name": _("cohort"), "data": months},
                "visualMap": {
                    "min": 0,
                    "max": 100,
                    "calculable": True,
                    "orient": "vertical",
                    "right": 0,
                    "top": "middle",
                },
                "series": [{"type": "heatmap", "data": heat}],
            },
            height=420,
        )
    )
    rows = []
    for age, item in retention["at_months"].items():
        rows.append(
            [
                escape(
                    ngettext("after %(months)d month", "after %(months)d months", int(age))
                    % {"months": int(age)}
                ),
                _band_text(item, show.percent),
            ]
            + [_band_text(p["retention_active"].get(age), show.percent) for p in plans]
        )
    sections.append(
        _table(
            [
                "",
                _("still registered"),
                *[_("active (%(plan)s)") % {"plan": label} for label in labels],
            ],
            rows,
        )
    )

    # bonuses
    sections.append("<h2>" + escape(_("Key figures per bonus")) + "</h2>")
    for plan in plans:
        rows = [
            [
                escape(_label(bonus.get("labels")) or bonus["title"]),
                _band_text(bonus["total"], show.money),
                _band_text(bonus["share_of_commissions"], show.percent),
                _band_text(bonus["per_active_distributor_month"], show.money),
                _band_text(bonus["linked_share"], show.percent),
            ]
            for bonus in plan["bonuses"]
        ]
        sections.append(f"<h3>{escape(plan['label'])}: {escape(plan['name'])}</h3>")
        sections.append(
            _table(
                [
                    _("Bonus"),
                    _("Paid over the simulated months"),
                    _("Share of commissions"),
                    _("Per active distributor and month"),
                    _("From recruiting-linked volume"),
                ],
                rows,
            )
        )
    sections.append(
        "<h2>" + escape(_("Share of commissions from recruiting-linked volume")) + "</h2>"
    )
    sections.append(
        "<p class='note'>"
        + escape(
            _(
                "Recruiting-linked volume: starter kits and each distributor's first order. "
                "Lines without an order are attributed by the share of such volume in the CV "
                "they rest on (see docs/simulation.md)."
            )
        )
        + "</p>"
    )
    sections.append(
        chart(
            "linked",
            _line_band_chart(months, plans, "linked_share", _percent, _("Share per month, %")),
        )
    )

    data = json.dumps(charts, ensure_ascii=False, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    title = _("Plan simulation")
    return f"""<!DOCTYPE html>
<html lang="{escape(current_language())}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; }} h2 {{ font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; margin: 0.8rem 0; }}
th, td {{ border: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
small {{ color: #777; }} .note {{ color: #555; font-size: 0.9rem; }}
.chart {{ width: 100%; margin: 1rem 0; }}
</style>
</head>
<body>
<h1>{escape(title)}</h1>
{"".join(sections)}
<script>{echarts_source()}</script>
<script type="application/json" id="charts">{data}</script>
<script>
(function () {{
  var options = JSON.parse(document.getElementById("charts").textContent);
  Object.keys(options).forEach(function (name) {{
    var node = document.getElementById(name);
    if (!node) return;
    var chart = echarts.init(node);
    chart.setOption(options[name]);
    window.addEventListener("resize", function () {{ chart.resize(); }});
  }});
}})();
</script>
</body>
</html>
"""
