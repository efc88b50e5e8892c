"""Seed a believable demo company through the same paths real data takes, dated when each
step happened.

The company is replayed over the six months up to today (``timeline.Timeline`` sets the clock
to each step's moment, never later than the real now):

* at the start of the first month: the catalogue (``catalogue.PRODUCTS``, through
  ``orders.actions.do_create_product``), the sample plan ``plans/unilevel.yaml`` stored and
  activated (``compensation.plans``), and the staff logins: a superuser and a finance login,
  ``admin`` and ``fiona``, with an authenticator (TOTP) of the fixed, printed key
  ``DEMO_TOTP_KEY`` so the console's two-factor step can be passed in the demo (and a batch
  drafted by one approved by the other). This key is public: it exists only in a database
  seeded by ``downline demo``;
* about 2,000 distributors and their retail customers from the seeded generator
  ``downline.dataset.synth``, shaped so the four demo logins are people (``personas``), written
  as CSV and loaded month by month at each month's end by ``exchange.importing.import_files``
  (the code of ``downline import``); each synthetic order becomes one unit of the product with
  the same PV, CV and EUR price; with them the bank details of most distributors
  (``payouts.actions.do_seed_payout_details``, dated the day after joining) and a few returns
  within the month;
* at the start of each following month: the final run of the month that ended (lines, ranks,
  traces, ledger); on the 3rd to 5th a payout batch drafted by ``admin``, approved by
  ``fiona``, exported and marked paid;
* today: autoships for a share of the distributors, returns of last month's orders (refunded
  now and clawed back in the open period, as a real one is), a few orders of this morning, each
  partly returned, and a projection of the current month.

All of it runs in one transaction: a seeding that fails leaves an empty database, so the next
``downline demo`` seeds again. Same seed, same company (names, tree and orders); only the
dates follow today's date.
"""

from __future__ import annotations

import io
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
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext

from downline.accounts.actions import do_create_user
from downline.accounts.models import User
from downline.accounts.security import initial_setup
from downline.compensation.runs import do_run_final, do_run_projection
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
from downline.orders.models import Order, Product, ProductKind
from downline.payouts.actions import (
    PayoutError,
    do_approve_payout_batch,
    do_create_payout_batch,
    do_export_payout_batch,
    do_mark_batch_paid,
)
from downline.periods.actions import do_ensure_period, do_ensure_period_for

from .bank import demo_bic, demo_iban
from .catalogue import AUTOSHIP_SKUS, PRODUCTS
from .people import LANGUAGE_SHARES, Person, person
from .personas import PERSONAS, add_persona_business, choose_personas
from .timeline import Timeline, month_days, previous_months
from .tools import ToolsContext, seed_tools

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


PAYOUT_MINIMUM = 2_000  # minor units of EUR
BANK_DETAILS_SHARE = 0.85
RETURNS_PER_MONTH = 3


SEEDING_MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def seed_demo(say: Say, *, seed: int = SEED, distributors: int = DISTRIBUTORS) -> None:
    """Seed the company into an empty database (see the module docstring), all or nothing."""
    timeline = Timeline(timezone.now(), ZoneInfo(settings.DOWNLINE_TIME_ZONE))
    # E-mail of the demo's history (sequence mails, ticket replies, notifications, also those
    # sent when the seeding commits) goes to memory: each app keeps its own record of it (the
    # console's sent-mail log, the tickets); nothing is printed or sent to a real mail server.
    with override_settings(MAILERS=SEEDING_MAILERS), transaction.atomic(), initial_setup():
        _Seeding(seed, distributors, timeline, say).run()


class _Seeding:
    """One seeding of the demo company; the steps of :meth:`run` in the order they happen."""

    def __init__(self, seed: int, distributors: int, timeline: Timeline, say: Say) -> None:
        self.seed = seed
        self.distributors = distributors
        self.timeline = timeline
        self.say = say
        self.today = timeline.now.astimezone(timeline.zone).date()
        self.months = previous_months(self.today, MONTHS)
        self.rng = np.random.default_rng(seed + 1)

    def run(self) -> None:
        tl = self.timeline
        first_day, _ = month_days(self.months[0])
        with tl.at(tl.local(first_day, 8)):
            self.products = _create_products(self.say)
            self.admin, self.fiona = _create_staff()
            version = self._activate_plan()
        network, orders = self._grow()
        self.say(
            gettext("Grew %(members)d members and %(orders)d orders over %(months)d months.")
            % {"members": len(network), "orders": len(orders), "months": MONTHS}
        )
        people = self._people(network)
        imported = [0, 0, 0]
        paid = batches = paid_out = 0
        started = time.perf_counter()
        for index, code in enumerate(self.months):
            _first, last = month_days(code)
            closed = index < len(self.months) - 1
            with tl.at(tl.local(last, 23, 30)) as moment:
                report = self._import_month(network, orders, people, last, moment)
                imported = [
                    imported[0] + report.members,
                    imported[1] + report.customers,
                    imported[2] + report.orders,
                ]
                self._seed_bank_details(report.new_ids, people, moment)
                if closed:
                    self._return_within(code)
                if index == 0:
                    self._create_distributor_logins(people)
            if closed:
                following = last + timedelta(days=1)
                with tl.at(tl.local(following, 2)):
                    paid += do_run_final(do_ensure_period(code)).total_paid
                total = self._pay_out(following)
                batches += total is not None
                paid_out += total or 0
        self.say(
            gettext(
                "Imported %(members)d members (%(customers)d retail customers) and %(orders)d "
                "orders through the import path, month by month."
            )
            % {"members": imported[0], "customers": imported[1], "orders": imported[2]}
        )
        with tl.at(tl.now) as now:
            _create_autoships(self.seed, self.products, self.today, self.say)
            returns = self._return_recent(now)
            returns += _place_and_return_today(self.products, self.personas_db(), now)
            projection = do_run_projection(do_ensure_period_for(now))
        self.say(
            gettext(
                "Activated %(plan)s; final runs of %(count)d closed months paid %(paid)s EUR "
                "and %(batches)d payout batches paid out %(paid_out)s EUR; projection of "
                "%(current)s (%(seconds).1f s)."
            )
            % {
                "plan": version,
                "count": len(self.months) - 1,
                "paid": format_amount(paid, "EUR"),
                "batches": batches,
                "paid_out": format_amount(paid_out, "EUR"),
                "current": projection.period.code,
                "seconds": time.perf_counter() - started,
            }
        )
        self.say(gettext("Returned orders: %(count)d returns.") % {"count": returns})
        with tl.at(tl.now):
            seed_tools(
                ToolsContext(
                    timeline=tl,
                    today=self.today,
                    months=list(self.months),
                    admin=self.admin,
                    fiona=self.fiona,
                    persona_ids=dict(self.persona_ids),
                    people=people,
                    seed=self.seed,
                    say=self.say,
                )
            )
        self.say(
            gettext("Created %(count)d logins.")
            % {"count": len(STAFF_LOGINS) + len(DISTRIBUTOR_LOGINS)}
        )

    def _activate_plan(self):
        from downline.compensation.plans import do_activate_plan_version, do_create_plan_version

        version = do_create_plan_version(DEMO_PLAN.read_text(encoding="utf-8"), note="demo")
        do_activate_plan_version(version, do_ensure_period(self.months[0]))
        return version

    def _grow(self) -> tuple[Network, Orders]:
        """The synthetic company of the demo months with the personas' business, cut at now:
        members who join later and orders paid after now are left out."""
        options = SynthOptions(
            distributors=self.distributors,
            seed=self.seed,
            shape="random",
            placement=company_shape(),
            last_month=self.months[-1],
            months=MONTHS,
            orders_per_distributor=1.5,
            customers_per_distributor=0.5,
            customer_order_share=0.3,
            autoship_share=0.2,
            return_rate=0.0,
        )
        network, orders = synthesize(options)
        spans = []
        for code in self.months:
            first, last = month_days(code)
            spans.append((np.datetime64(first, "D"), np.datetime64(last + timedelta(days=1), "D")))
        self.persona_rows = choose_personas(network, spans[0][1])
        network, orders = add_persona_business(
            network, orders, self.persona_rows, spans, np.random.default_rng(self.seed + 4)
        )
        return _until(network, orders, np.datetime64(self.today, "D"), epoch_us(self.timeline.now))

    def _people(self, network: Network) -> dict[str, tuple[str, Person]]:
        """Each member id's language and person; the personas carry their login's first name."""
        rng = self.rng
        languages = rng.choice(
            list(LANGUAGE_SHARES), size=len(network), p=list(LANGUAGE_SHARES.values())
        ).tolist()
        personas = dict(zip(self.persona_rows, PERSONAS, strict=True))
        people = {}
        for row, (member, language) in enumerate(zip(network.ids, languages, strict=True)):
            persona = personas.get(row)
            if persona is not None:
                language = persona.language
            people[member] = (language, person(language, rng, persona and persona.first_name))
        self.persona_ids = {persona.username: network.ids[row] for row, persona in personas.items()}
        return people

    def personas_db(self) -> list[Distributor]:
        return [
            Distributor.objects.get(member_id=self.persona_ids[persona.username])
            for persona in PERSONAS
        ]

    def _import_month(
        self,
        network: Network,
        orders: Orders,
        people: dict[str, tuple[str, Person]],
        last: date,
        moment: datetime,
    ) -> _MonthImport:
        """Import the members who joined by ``last`` and the orders paid by ``moment`` that are
        not in the database yet, through ``downline import``'s code."""
        stored = set(Distributor.objects.values_list("member_id", flat=True))
        member_rows = [
            row
            for row, joined in enumerate(network.joined_on.tolist())
            if joined <= last and network.ids[row] not in stored
        ]
        paid_us = (orders.paid_at - EPOCH_US) // np.timedelta64(1, "us")
        done = set(Order.objects.values_list("number", flat=True))
        order_rows = [
            row
            for row in np.flatnonzero(paid_us <= epoch_us(moment)).tolist()
            if orders.ids[row] not in done
        ]
        by_totals = {(p.pv, p.cv, p.eur): self.products[p.sku] for p in PRODUCTS}

        def details(table: Network, offset: int) -> MemberDetails:
            chosen = [people[member] for member in table.ids[offset:]]
            return MemberDetails(
                name=[who.name for _language, who in chosen],
                email=[f"{member.lower()}@example.com" for member in table.ids[offset:]],
                country=[who.country for _language, who in chosen],
                language=[language for language, _who in chosen],
                currency=[SECOND_CURRENCY if who.country == "PL" else "EUR" for _l, who in chosen],
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
            _write_rows(
                distributors_csv, member_rows, write_network, network, shape=company_shape()
            )
            _write_rows(orders_csv, order_rows, write_orders, orders, network)
            report = import_files(
                distributors_csv if member_rows else None,
                orders_csv if order_rows else None,
                details=details,
                lines=lines,
            )
        return _MonthImport(
            members=report.members,
            customers=report.customers,
            orders=report.orders,
            new_ids=[network.ids[row] for row in member_rows if not network.is_customer[row]],
        )

    def _seed_bank_details(
        self, member_ids: list[str], people: dict[str, tuple[str, Person]], moment: datetime
    ) -> None:
        """Bank details for most new distributors (all personas), entered the day after they
        joined."""
        from downline.payouts.details import do_seed_payout_details

        personas = set(self.persona_ids.values())
        rows = []
        members = Distributor.objects.in_bulk(member_ids, field_name="member_id")
        for number, member_id in enumerate(member_ids):
            if member_id not in personas and self.rng.random() >= BANK_DETAILS_SHARE:
                continue
            member = members[member_id]
            _language, who = people[member_id]
            entered = self.timeline.local(member.joined_on + timedelta(days=1), 19)
            rows.append(
                (
                    member,
                    who.name,
                    demo_iban(who.country, self.rng),
                    demo_bic(who.country, number),
                    f"{who.country}{int(self.rng.integers(10**8, 10**9))}",
                    min(entered, moment),
                )
            )
        do_seed_payout_details(rows)

    def _return_within(self, code: str) -> None:
        """A few of the month's orders returned in full two days after payment, within it."""
        ends = do_ensure_period(code).ends_at
        candidates = list(
            Order.objects.filter(
                period__code=code,
                returns_order__isnull=True,
                status=Order.Status.PAID,
                kind=ProductKind.PRODUCT,
                paid_at__lt=ends - timedelta(days=2),
            ).order_by("id")
        )
        if not candidates:
            return
        picks = self.rng.choice(
            len(candidates), size=min(RETURNS_PER_MONTH, len(candidates)), replace=False
        )
        for number in sorted(picks.tolist()):
            order = candidates[number]
            do_return_order(
                order,
                refunded_at=order.paid_at + timedelta(days=2),
                reason=gettext("The customer changed their mind."),
            )

    def _return_recent(self, now: datetime) -> int:
        """Orders of the last days returned: refunded a day after payment when that falls in
        the open period, else now; those of a closed month are clawed back in the open
        period. Each persona loses one order of a personally enrolled distributor from the
        last closed month, so each has a clawback."""
        open_start = do_ensure_period_for(now).starts_at
        recent = list(
            Order.objects.filter(
                returns_order__isnull=True,
                status=Order.Status.PAID,
                paid_at__gte=now - timedelta(days=10),
                paid_at__lte=now - timedelta(days=2),
            ).order_by("id")[:5]
        )
        last_closed = do_ensure_period(self.months[-2])
        for persona in self.personas_db():
            order = (
                Order.objects.filter(
                    period=last_closed,
                    buyer__sponsor=persona,
                    buyer__kind=Distributor.Kind.DISTRIBUTOR,
                    returns_order__isnull=True,
                    status=Order.Status.PAID,
                    cv__gt=0,
                )
                .order_by("-cv", "id")
                .first()
            )
            if order is not None and order not in recent:
                recent.append(order)
        for order in recent:
            refunded_at = order.paid_at + timedelta(days=1)
            if refunded_at < open_start or refunded_at > now:
                refunded_at = now
            do_return_order(
                order, refunded_at=refunded_at, reason=gettext("The customer changed their mind.")
            )
        return len(recent)

    def _pay_out(self, following: date) -> int | None:
        """The payout batch after a final: drafted by admin on the 3rd, approved by fiona,
        exported on the 4th and paid on the 5th; ``None`` when no wallet is due."""
        tl = self.timeline
        try:
            with tl.at(tl.local(following + timedelta(days=2), 10)):
                batch = do_create_payout_batch("EUR", minimum=PAYOUT_MINIMUM, actor=self.admin)
        except PayoutError:
            return None
        with tl.at(tl.local(following + timedelta(days=2), 14)):
            do_approve_payout_batch(batch, actor=self.fiona)
        with tl.at(tl.local(following + timedelta(days=3), 9)) as moment:
            do_export_payout_batch(
                batch, file_format="csv", execution_date=moment.date(), actor=self.fiona
            )
        with tl.at(tl.local(following + timedelta(days=4), 9)):
            do_mark_batch_paid(batch, actor=self.fiona)
        batch.refresh_from_db()
        return batch.total

    def _create_distributor_logins(self, people: dict[str, tuple[str, Person]]) -> None:
        """The four back-office logins, each linked to the persona of its first name."""
        for login in DISTRIBUTOR_LOGINS:
            member = Distributor.objects.get(member_id=self.persona_ids[login.username])
            _language, who = people[member.member_id]
            user = do_create_user(
                login.username,
                password=login.password,
                email=f"{login.username}@example.com",
                first_name=who.first_name,
                last_name=who.last_name,
                language=login.language,
            )
            do_update_details(member, user=user, email=user.email)


@dataclass(frozen=True)
class _MonthImport:
    members: int
    customers: int
    orders: int
    new_ids: list[str]


def _write_rows(target: Path, rows: list[int], writer: Callable[..., None], *args, **kwargs):
    """Write the canonical CSV of the whole table with ``writer``, then keep the header and
    ``rows`` (one line per row: the canonical form has no line breaks inside fields)."""
    buffer = io.StringIO()
    writer(*args, buffer, **kwargs)
    lines = buffer.getvalue().splitlines(keepends=True)
    target.write_text("".join([lines[0], *(lines[row + 1] for row in rows)]), encoding="utf-8")


def _create_staff() -> tuple[User, User]:
    from django.contrib.auth.models import Group

    created = []
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
        created.append(staff)
    admin, fiona = created
    return admin, fiona


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


def _place_and_return_today(
    products: dict[str, Product], buyers: list[Distributor], now: datetime
) -> int:
    """Orders of this morning (or since the period began, on its first hours), each partly
    returned before now: one per persona among the first three."""
    starts = do_ensure_period_for(now).starts_at
    placed = max(now - timedelta(hours=2), starts)
    refunded = placed + (now - placed) / 2
    for buyer, sku in zip(
        buyers, ("SKIN-CREAM-50", "SUP-OMEGA3-90", "SUP-PROTEIN-VAN"), strict=False
    ):
        order = do_place_order(buyer, [(products[sku], 2)], "EUR", paid_at=placed)
        do_return_order(
            order,
            {order.lines.get(): 1},
            refunded_at=refunded,
            reason=gettext("One unit arrived damaged."),
        )
    return min(3, len(buyers))


def _create_demo_authenticator(user) -> None:
    """A demo staff login's TOTP device with the fixed key ``DEMO_TOTP_KEY`` (printed by the
    demo command)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="demo", key=DEMO_TOTP_KEY, confirmed=True)


def demo_totp_secret() -> str:
    """The demo key in base32, as authenticator apps take it."""
    import base64

    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
