"""Seed a believable demo company through the same paths real data takes.

* the catalogue (``catalogue.PRODUCTS``) through ``orders.actions.do_create_product``;
* about 2,000 distributors and their retail customers grown over the six months up to today,
  with their orders, from the seeded generator ``downline.dataset.synth``, written as CSV and
  loaded by ``downline.exchange.importing.import_files`` (the code of ``downline import``);
  each synthetic order becomes one unit of the product with the same PV, CV and EUR price;
* autoships for a share of the distributors (``do_create_autoship``), a few orders and
  returns placed today through ``do_place_order`` and ``do_return_order``;
* earnings: the sample plan ``plans/unilevel.yaml`` is stored and activated from the first
  demo month (``compensation.plans``); the final run of every closed demo month runs in order
  (lines, ranks, traces, ledger) and a projection of the current month, so statements,
  wallets, rank progress and the console's charts have something to show;
* a superuser, a finance staff login and four distributor logins, one per shipped language
  (``User.language`` and ``Distributor.language``), linked through
  ``genealogy.actions.do_update_details``; ``admin`` and ``fiona`` get an authenticator (TOTP)
  with the fixed, printed key ``DEMO_TOTP_KEY`` so the console's two-factor step can be passed
  in the demo (and a batch drafted by one approved by the other). This key is public: it
  exists only in a database seeded by ``downline demo``.

Same seed, same company (names, tree and orders); only the dates follow today's date.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext

from downline.accounts.actions import do_create_user
from downline.core.formatting import format_amount
from downline.dataset.csv_io import EPOCH_US, epoch_us, write_network, write_orders
from downline.dataset.synth import SynthOptions, synthesize
from downline.dataset.tables import Network, Orders
from downline.exchange.importing import company_shape, import_files
from downline.genealogy.actions import do_update_details
from downline.genealogy.bulk_load import MemberDetails
from downline.genealogy.models import Distributor
from downline.orders.actions import (
    do_create_autoship,
    do_create_product,
    do_place_order,
    do_return_order,
)
from downline.orders.bulk_load import LineSpec
from downline.orders.models import Order, Product

from .catalogue import AUTOSHIP_SKUS, PRODUCTS
from .people import LANGUAGE_SHARES, person

SEED = 2026
DEMO_PLAN = Path(__file__).resolve().parents[3] / "plans" / "unilevel.yaml"
# RFC 6238's test secret "12345678901234567890" (hex); base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
DISTRIBUTORS = 2_000
MONTHS = 6
AUTOSHIP_SHARE = 0.15
SECOND_CURRENCY = "PLN"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    language: str
    member_id: str | None
    role: str


STAFF_LOGINS = (
    DemoLogin("admin", "admin", "en", None, "superuser"),
    # a second staff member, so that a payout batch drafted by admin can be approved
    DemoLogin("fiona", "demo", "en", None, "finance"),
)
DISTRIBUTOR_LOGINS = (
    DemoLogin("emma", "demo", "en", None, "distributor"),
    DemoLogin("olga", "demo", "ru", None, "distributor"),
    DemoLogin("kasia", "demo", "pl", None, "distributor"),
    DemoLogin("jonas", "demo", "de", None, "distributor"),
)

Say = Callable[[str], None]


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist in the database, with the member each is linked to."""
    User = get_user_model()
    found = []
    for login in (*STAFF_LOGINS, *DISTRIBUTOR_LOGINS):
        user = User.objects.filter(username=login.username).first()
        if user is None:
            continue
        member = Distributor.objects.filter(user=user).values_list("member_id", flat=True).first()
        found.append(DemoLogin(login.username, login.password, login.language, member, login.role))
    return found


def seed_demo(say: Say, *, seed: int = SEED, distributors: int = DISTRIBUTORS) -> None:
    """Seed the company into an empty database (see the module docstring)."""
    zone = ZoneInfo(settings.DOWNLINE_TIME_ZONE)
    now = timezone.now()
    today = now.astimezone(zone).date()
    products = _create_products(say)
    network, orders = _grow_network(seed, distributors, today, now)
    say(
        gettext("Grew %(members)d members and %(orders)d orders over %(months)d months.")
        % {"members": len(network), "orders": len(orders), "months": MONTHS}
    )
    _import(network, orders, products, seed, say)
    _create_autoships(seed, products, today, say)
    _run_commissions(today, now, say)
    _place_and_return_today(products, now, say)
    _create_logins(say)


def _create_products(say: Say) -> dict[str, Product]:
    products = {}
    for item in PRODUCTS:
        products[item.sku] = do_create_product(
            item.sku,
            item.names,
            item.kind,
            pv=item.pv,
            cv=item.cv,
            prices={"EUR": item.eur, SECOND_CURRENCY: item.pln},
        )
    say(gettext("Created %(count)d products.") % {"count": len(products)})
    return products


def _grow_network(
    seed: int, distributors: int, today: date, now: datetime
) -> tuple[Network, Orders]:
    """The synthetic company of the six months up to this month, cut at today: members who
    join later and orders paid after now are left out."""
    options = SynthOptions(
        distributors=distributors,
        seed=seed,
        shape="random",
        placement=company_shape(),
        last_month=f"{today.year:04d}-{today.month:02d}",
        months=MONTHS,
        orders_per_distributor=1.5,
        customers_per_distributor=0.5,
        customer_order_share=0.3,
        autoship_share=0.2,
        return_rate=0.0,
    )
    network, orders = synthesize(options)
    return _until(network, orders, np.datetime64(today, "D"), epoch_us(now))


def _until(
    network: Network, orders: Orders, last_day: np.datetime64, last_us: int
) -> tuple[Network, Orders]:
    """The members who joined by ``last_day`` and their orders paid by ``last_us``.

    A sponsor or placement parent always joined no later than their recruits, so the kept
    members form a valid network on their own.
    """
    keep = network.joined_on <= last_day
    new_row = np.full(len(network), -1, dtype=np.int64)
    new_row[keep] = np.arange(int(keep.sum()))

    def remap(refs: np.ndarray) -> np.ndarray:
        return np.where(refs >= 0, new_row[np.maximum(refs, 0)], -1)

    kept = Network(
        ids=[member for member, k in zip(network.ids, keep.tolist(), strict=True) if k],
        sponsor=remap(network.sponsor[keep]),
        placement=remap(network.placement[keep]),
        position=network.position[keep],
        joined_on=network.joined_on[keep],
        status=network.status[keep],
        is_customer=network.is_customer[keep],
    )
    paid_us = (orders.paid_at - EPOCH_US) // np.timedelta64(1, "us")
    order_keep = keep[orders.member] & (paid_us <= last_us) & (orders.returns < 0)
    order_row = np.full(len(orders), -1, dtype=np.int64)
    order_row[order_keep] = np.arange(int(order_keep.sum()))
    rows = np.flatnonzero(order_keep)
    kept_orders = Orders(
        ids=[f"O{number:07d}" for number in range(1, len(rows) + 1)],
        member=new_row[orders.member[rows]],
        paid_at=orders.paid_at[rows],
        pv=orders.pv[rows],
        cv=orders.cv[rows],
        amount=orders.amount[rows],
        currency=orders.currency[rows],
        kind=orders.kind[rows],
        returns=np.full(len(rows), -1, dtype=np.int64),
    )
    return kept, kept_orders


def _import(
    network: Network, orders: Orders, products: dict[str, Product], seed: int, say: Say
) -> None:
    by_totals = {(p.pv, p.cv, p.eur): products[p.sku] for p in PRODUCTS}
    rng = np.random.default_rng(seed + 1)

    def details(table: Network, offset: int) -> MemberDetails:
        count = len(table) - offset
        languages = rng.choice(
            list(LANGUAGE_SHARES), size=count, p=list(LANGUAGE_SHARES.values())
        ).tolist()
        people = [person(language, rng) for language in languages]
        return MemberDetails(
            name=[who.name for who in people],
            email=[f"{member.lower()}@example.com" for member in table.ids[offset:]],
            country=[who.country for who in people],
            language=languages,
            currency=[SECOND_CURRENCY if who.country == "PL" else "EUR" for who in people],
        )

    def lines(table: Orders, rows: np.ndarray) -> LineSpec:
        matched = [
            by_totals[(int(table.pv[row]), int(table.cv[row]), int(table.amount[row]))]
            for row in rows.tolist()
        ]
        count = len(matched)
        return LineSpec(
            product_ids=np.ma.masked_array(np.array([p.pk for p in matched], dtype=np.int64)),
            skus=[p.sku for p in matched],
            descriptions=[p.name_en for p in matched],
            quantities=np.ones(count, dtype=np.int64),
            unit_prices=table.amount[rows],
            unit_pv=table.pv[rows],
            unit_cv=table.cv[rows],
        )

    with tempfile.TemporaryDirectory(prefix="downline-demo-") as folder:
        distributors_csv = Path(folder) / "distributors.csv"
        orders_csv = Path(folder) / "orders.csv"
        write_network(network, distributors_csv, shape=company_shape())
        write_orders(orders, network, orders_csv)
        report = import_files(distributors_csv, orders_csv, details=details, lines=lines)
    say(
        gettext(
            "Imported %(members)d members (%(customers)d retail customers) and %(orders)d "
            "orders through the import path."
        )
        % {"members": report.members, "customers": report.customers, "orders": report.orders}
    )


def _create_autoships(seed: int, products: dict[str, Product], today: date, say: Say) -> None:
    rng = np.random.default_rng(seed + 2)
    members = list(
        Distributor.objects.filter(
            kind=Distributor.Kind.DISTRIBUTOR, status=Distributor.Status.ACTIVE
        ).order_by("id")
    )
    chosen = rng.choice(len(members), size=round(len(members) * AUTOSHIP_SHARE), replace=False)
    boxes = [products[sku] for sku in AUTOSHIP_SKUS]
    for number in sorted(chosen.tolist()):
        member = members[number]
        box = boxes[int(rng.integers(len(boxes)))]
        currency = SECOND_CURRENCY if member.currency == SECOND_CURRENCY else "EUR"
        do_create_autoship(
            member,
            int(rng.integers(1, 29)),
            [(box, 1)],
            currency,
            starts_on=today + timedelta(days=1),
        )
    say(gettext("Started %(count)d autoships.") % {"count": len(chosen)})


def _place_and_return_today(products: dict[str, Product], now: datetime, say: Say) -> None:
    """A few orders of this morning, each partly returned an hour later, and a few imported
    orders of the last days returned in full."""
    buyers = list(
        Distributor.objects.filter(
            kind=Distributor.Kind.DISTRIBUTOR, status=Distributor.Status.ACTIVE
        ).order_by("-enrollment_downline", "id")[:3]
    )
    earlier = now - timedelta(hours=2)
    returns = 0
    for buyer, sku in zip(
        buyers, ("SKIN-CREAM-50", "SUP-OMEGA3-90", "SUP-PROTEIN-VAN"), strict=False
    ):
        order = do_place_order(buyer, [(products[sku], 2)], "EUR", paid_at=earlier)
        line = order.lines.get()
        do_return_order(
            order,
            {line: 1},
            refunded_at=earlier + timedelta(hours=1),
            reason=gettext("One unit arrived damaged."),
        )
        returns += 1
    recent = Order.objects.filter(
        returns_order__isnull=True,
        status=Order.Status.PAID,
        paid_at__gte=now - timedelta(days=10),
        paid_at__lte=now - timedelta(days=2),
    ).order_by("id")[:5]
    for order in recent:
        do_return_order(
            order,
            refunded_at=order.paid_at + timedelta(days=1),
            reason=gettext("The customer changed their mind."),
        )
        returns += 1
    say(gettext("Placed and returned orders: %(count)d returns.") % {"count": returns})


def _create_logins(say: Say) -> None:
    from django.contrib.auth.models import Group

    for login in STAFF_LOGINS:
        staff = do_create_user(
            login.username,
            password=login.password,
            email=f"{login.username}@example.com",
            language="en",
            staff=True,
            superuser=login.role == "superuser",
        )
        if login.role != "superuser":
            staff.groups.add(Group.objects.get(name=login.role))
        _create_demo_authenticator(staff)
    leaders = list(
        Distributor.objects.filter(kind=Distributor.Kind.DISTRIBUTOR).order_by(
            "-enrollment_downline", "id"
        )[: len(DISTRIBUTOR_LOGINS)]
    )
    rng = np.random.default_rng(SEED + 3)
    for login, member in zip(DISTRIBUTOR_LOGINS, leaders, strict=True):
        who = person(login.language, rng)
        user = do_create_user(
            login.username,
            password=login.password,
            email=f"{login.username}@example.com",
            first_name=who.first_name,
            last_name=who.last_name,
            language=login.language,
        )
        do_update_details(
            member,
            user=user,
            name=who.name,
            language=login.language,
            country=who.country,
            currency=SECOND_CURRENCY if who.country == "PL" else "EUR",
        )
    say(
        gettext("Created %(count)d logins.")
        % {"count": len(STAFF_LOGINS) + len(DISTRIBUTOR_LOGINS)}
    )


def _run_commissions(today: date, now: datetime, say: Say) -> None:
    """Activate the demo plan from the first demo month, run the final of every closed month
    in order and a projection of the current one."""
    from downline.compensation.plans import do_activate_plan_version, do_create_plan_version
    from downline.compensation.runs import do_run_final, do_run_projection
    from downline.periods.actions import do_ensure_period, do_ensure_period_for

    if not DEMO_PLAN.exists():
        say(gettext("No sample plan at %(path)s; no earnings seeded.") % {"path": DEMO_PLAN})
        return
    months = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    months.reverse()
    started = time.perf_counter()
    version = do_create_plan_version(DEMO_PLAN.read_text(encoding="utf-8"), note="demo")
    do_activate_plan_version(version, do_ensure_period(months[0]))
    paid = 0
    for code in months[:-1]:
        run = do_run_final(do_ensure_period(code))
        paid += run.total_paid
    projection = do_run_projection(do_ensure_period_for(now))
    say(
        gettext(
            "Activated %(plan)s; final runs of %(count)d closed months paid %(paid)s EUR; "
            "projection of %(current)s (%(seconds).1f s)."
        )
        % {
            "plan": version,
            "count": len(months) - 1,
            "paid": format_amount(paid, "EUR"),
            "current": projection.period.code,
            "seconds": time.perf_counter() - started,
        }
    )


def _create_demo_authenticator(user) -> None:
    """A demo staff login's TOTP device with the fixed key ``DEMO_TOTP_KEY`` (printed by the
    demo command)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="demo", key=DEMO_TOTP_KEY, confirmed=True)


def demo_totp_secret() -> str:
    """The demo key in base32, as authenticator apps take it."""
    import base64

    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
