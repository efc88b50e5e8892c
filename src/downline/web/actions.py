"""Writes started from the back office and the console: joining through a referral link,
notes on distributors, commission runs started as background tasks."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from downline.accounts.actions import do_create_user
from downline.accounts.models import User
from downline.core.errors import DownlineError
from downline.core.jobs import INTERACTIVE_PRIORITY, do_fail_if_lost
from downline.genealogy import reasons
from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor
from downline.genealogy.rules import company_today
from downline.periods.models import Period

from .models import STEPS, Note, RunJob

MEMBER_ID_PREFIX = "W"


class JoinError(DownlineError):
    """A sign-up through a referral link that cannot be accepted as given."""


def referral_sponsor(code: str) -> Distributor | None:
    """The distributor whose referral code is ``code``: their member id (case-insensitive).

    Only a distributor in good standing (status ``active``) invites; any other code finds no
    one, exactly like a code that does not exist.
    """
    code = (code or "").strip()
    if not code:
        return None
    return (
        Distributor.objects.filter(
            member_id__iexact=code,
            kind=Distributor.Kind.DISTRIBUTOR,
            status=Distributor.Status.ACTIVE,
        )
        .only("id", "member_id", "name", "kind", "status", "joined_on", "user_id")
        .first()
    )


def _new_member_id() -> str:
    """``W`` and ten random digits, not yet taken."""
    while True:
        candidate = f"{MEMBER_ID_PREFIX}{secrets.randbelow(10**10):010d}"
        if not Distributor.objects.filter(member_id=candidate).exists():
            return candidate


def do_join(
    sponsor: Distributor, *, name: str, email: str, password: str, language: str
) -> Distributor:
    """Enroll a prospect under ``sponsor`` with a login that waits for e-mail confirmation.

    The login's username is the e-mail address (lower case); it cannot sign in until the
    address is confirmed (``email_verified``; the login itself is active). The member is a
    distributor placed by the company's default placement under the sponsor, and joins today
    (company time). All or nothing: one transaction.
    """
    email = email.strip().lower()
    name = " ".join(name.split())
    if not name:
        raise JoinError(_("Please give your name."), field="name")
    with transaction.atomic():
        if (
            User.objects.filter(email__iexact=email).exists()
            or User.objects.filter(username__iexact=email).exists()
        ):
            raise JoinError(
                _(
                    "There is already an account for %(email)s. Sign in, or reset your "
                    "password if you have forgotten it."
                )
                % {"email": email},
                field="email",
            )
        first, _space, last = name.partition(" ")
        user = do_create_user(
            email,
            password=password,
            email=email,
            language=language,
            first_name=first,
            last_name=last,
            email_verified=False,
        )
        return do_enroll(
            member_id=_new_member_id(),
            sponsor=sponsor,
            joined_on=company_today(),
            name=name,
            email=email,
            language=language,
            user=user,
            reason=reasons.reason(reasons.JOINED_BY_LINK, sponsor=sponsor.member_id),
        )


# --------------------------------------------------------------------------- console


class ConsoleError(DownlineError):
    """A console request that cannot be done as given."""


def do_add_note(distributor: Distributor, text: str, *, author: User) -> Note:
    """Add a support note to ``distributor`` (a note is never edited or deleted)."""
    text = (text or "").strip()
    if not text:
        raise ConsoleError(_("A note needs some text."), field="text")
    return Note.objects.create(distributor=distributor, text=text, author=author)


def do_start_run(period: Period, kind: str, *, actor: User | None) -> RunJob:
    """Queue a commission run of ``period`` (``projection``, ``preview`` or ``final``) as a
    background task; the returned job shows its progress. A second job of the same period that
    is still queued or running is refused, so a double click does not start two runs; but a
    running job whose worker is gone is failed first (``downline.core.jobs``: its work was
    rolled back with its transaction), so a killed worker never blocks the period."""
    if kind not in STEPS:
        raise ConsoleError(
            _("Unknown kind of run %(kind)r; use projection, preview or final.") % {"kind": kind},
            field="kind",
        )
    with transaction.atomic():
        unfinished = RunJob.objects.select_for_update().filter(
            period=period, status__in=(RunJob.Status.QUEUED, RunJob.Status.RUNNING)
        )
        busy = next((job for job in unfinished if not do_fail_if_lost(job)), None)
        if busy is not None:
            raise ConsoleError(
                _("A %(kind)s of period %(period)s is already under way (job #%(job)s).")
                % {"kind": busy.get_kind_display(), "period": period.code, "job": busy.pk}
            )
        job = RunJob.objects.create(period=period, kind=kind, started_by=actor)
    from .tasks import run_commissions

    result = run_commissions.using(priority=INTERACTIVE_PRIORITY).enqueue(job.pk)
    RunJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])
    job.refresh_from_db()
    return job
