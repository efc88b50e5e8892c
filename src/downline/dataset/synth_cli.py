"""``downline synth``: write a synthetic network and its orders as CSV."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from downline.i18n import gettext as _

from .csv_io import write_network, write_orders
from .synth import SHAPES, SynthOptions, synthesize
from .tables import PlacementShape


def synth_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="downline synth",
        description="Write distributors.csv and orders.csv for a seeded synthetic network.",
    )
    parser.add_argument("--distributors", type=int, required=True, help="number of distributors")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    parser.add_argument(
        "--shape", choices=SHAPES, default="random", help="shape of the sponsor tree"
    )
    parser.add_argument(
        "--placement",
        default="binary",
        help="placement tree: binary, unilevel or matrix:WIDTH (default binary)",
    )
    parser.add_argument("--month", default="2026-10", help="month of the orders, YYYY-MM")
    parser.add_argument("--months", type=int, default=1, help="months of growth and orders")
    parser.add_argument("--orders-per-distributor", type=float, default=3.0)
    parser.add_argument("--currency", default="EUR")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)
    try:
        shape = _placement(args.placement)
        options = SynthOptions(
            distributors=args.distributors,
            seed=args.seed,
            shape=args.shape,
            placement=shape,
            last_month=args.month,
            months=args.months,
            orders_per_distributor=args.orders_per_distributor,
            currency=args.currency,
        )
    except ValueError as error:
        parser.error(str(error))
    started = time.perf_counter()
    network, orders = synthesize(options)
    args.out.mkdir(parents=True, exist_ok=True)
    write_network(network, args.out / "distributors.csv", shape=shape)
    write_orders(orders, network, args.out / "orders.csv")
    print(
        _(
            "%(members)s members (%(distributors)s distributors) and %(orders)s orders written to %(out)s in %(seconds).1f s"
        )
        % {
            "members": f"{len(network):,}",
            "distributors": f"{int((~network.is_customer).sum()):,}",
            "orders": f"{len(orders):,}",
            "out": args.out,
            "seconds": time.perf_counter() - started,
        },
        file=sys.stderr,
    )
    return 0


def _placement(text: str) -> PlacementShape:
    if text.startswith("matrix:"):
        return PlacementShape("matrix", int(text.split(":", 1)[1]))
    if text in {"binary", "unilevel"}:
        return PlacementShape(text)
    raise ValueError(
        _("--placement must be binary, unilevel or matrix:WIDTH, not %(value)r") % {"value": text}
    )
