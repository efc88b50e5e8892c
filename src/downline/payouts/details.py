"""A distributor's payout details (account holder, IBAN, BIC, tax id): validated, confirmed by
e-mail, audited, and followed by a cooling-off period.

Rules:

* Validation (``clean_payout_details``): the account holder and the tax id are required, the
  IBAN must pass ISO 13616 (``bank_details.iban_problem``), the BIC is optional and must pass
  ISO 9362 when given. Every message names its field; all problems are reported at once.
* ``do_request_payout_details_change``: valid details that differ from the current ones become
  a *pending* ``PayoutDetailsChange`` (an older pending change of the member is superseded).
  Nothing is applied yet. The caller sends ``make_confirmation_token(change)`` by e-mail.
* A confirmation link is signed (salt ``SALT``) and expires after ``CONFIRMATION_MAX_AGE``
  seconds; only the newest pending change of the signed-in member can be confirmed.
* ``do_confirm_payout_details_change`` applies the change to the ``PayoutProfile`` and writes a
  ``PayoutDetailsHistory`` row (who, when, from which addresses, old → new, IBANs and tax ids
  masked but for their last 4 characters).
* Cooling-off: when the account holder, IBAN or BIC changed, the member's payouts are held for
  ``DOWNLINE_PAYOUT_COOLING_OFF_DAYS`` days (default 7) from the moment the change was applied
  (``cooling_off_hold``): a stolen login cannot redirect the next payout at once.
* ``do_seed_payout_details``: staff imports and the demo write already-confirmed details in
  bulk, with their history rows, and no e-mail.
* ``do_set_compliance_hold``: staff set or lift the compliance hold with a reason (console
  only), recorded in ``ComplianceHoldChange``; staff never type a member's IBAN or tax id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from downline.accounts.models import User
from downline.core.errors import DownlineError
from downline.genealogy.models import Distributor
from downline.i18n import use_language

from .bank_details import bic_problem, iban_problem, normalize_bic, normalize_iban
from .models import (
    ComplianceHoldChange,
    PayoutDetailsChange,
    PayoutDetailsHistory,
    PayoutProfile,
)

SALT = "downline.payouts.confirm-details"
CONFIRMATION_MAX_AGE = 24 * 60 * 60  # seconds a confirmation link stays valid
FIELDS = ("account_holder", "iban", "bic", "tax_id")
BANK_FIELDS = ("account_holder", "iban", "bic")
FIELD_LABELS = {
    "account_holder": gettext_lazy("Account holder"),
    "iban": gettext_lazy("IBAN"),
    "bic": gettext_lazy("BIC"),
    "tax_id": gettext_lazy("Tax id"),
}
_TAX_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./")


class PayoutDetailsError(DownlineError):
    """Payout details that the rules refuse; ``errors`` maps each bad field to its message."""

    def __init__(self, message: str, *, errors: dict[str, str] | None = None) -> None:
        self.errors = dict(errors or {})
        super().__init__(message, field=next(iter(self.errors), None))


@dataclass(frozen=True)
class PayoutDetails:
    """Normalised details: holder with single spaces, IBAN and BIC without spaces, upper case."""

    account_holder: str
    iban: str
    bic: str
    tax_id: str

    def bank_differs(self, other: PayoutDetails) -> bool:
        return any(getattr(self, name) != getattr(other, name) for name in BANK_FIELDS)


# --------------------------------------------------------------------------- validation


def _holder_problem(value: str) -> str | None:
    if not value:
        return _("Enter the name of the account holder as the bank knows it.")
    if len(value) > 140:
        return _("The account holder has at most 140 characters; this one has %(length)d.") % {
            "length": len(value)
        }
    hidden = next((character for character in value if not character.isprintable()), None)
    if hidden is not None:  # controls, bidi overrides (U+202E), zero-width characters
        return _(
            "The account holder contains an invisible control character (U+%(code)04X); "
            "type the name without it."
        ) % {"code": ord(hidden)}
    return None


def _tax_id_problem(value: str) -> str | None:
    if not value:
        return _("Enter your tax id (the number your tax office gave you).")
    if len(value) > 40:
        return _("The tax id has at most 40 characters; this one has %(length)d.") % {
            "length": len(value)
        }
    bad = next((c for c in value.upper() if c not in _TAX_ID_CHARACTERS), None)
    if bad is not None:
        return _(
            "The tax id contains %(character)r; only letters, digits, spaces, '-', '.' and '/' "
            "are allowed."
        ) % {"character": bad}
    return None


def field_problems(account_holder: str, iban: str, bic: str, tax_id: str) -> dict[str, str]:
    """Each field's problem (translated into the active language), empty when all are valid."""
    with use_language(translation.get_language() or "en"):
        problems = {
            "account_holder": _holder_problem(" ".join(account_holder.split())),
            "iban": iban_problem(iban),
            "bic": bic_problem(bic) if normalize_bic(bic) else None,
            "tax_id": _tax_id_problem(tax_id.strip()),
        }
    return {name: str(problem) for name, problem in problems.items() if problem}


def clean_payout_details(account_holder: str, iban: str, bic: str, tax_id: str) -> PayoutDetails:
    """The normalised details, or ``PayoutDetailsError`` naming every field that is wrong."""
    problems = field_problems(account_holder, iban, bic, tax_id)
    if problems:
        raise PayoutDetailsError(
            " ".join(f"{FIELD_LABELS[name]}: {text}" for name, text in problems.items()),
            errors=problems,
        )
    return PayoutDetails(
        account_holder=" ".join(account_holder.split()),
        iban=normalize_iban(iban),
        bic=normalize_bic(bic),
        tax_id=" ".join(tax_id.split()).upper(),
    )


def mask_last4(value: str) -> str:
    """``**** 3000``: everything but the last 4 characters hidden (``""`` stays ``""``)."""
    compact = "".join(value.split())
    if not compact:
        return ""
    if len(compact) <= 4:
        return "****"
    return f"**** {compact[-4:]}"


def current_details(profile: PayoutProfile | None) -> PayoutDetails:
    if profile is None:
        return PayoutDetails("", "", "", "")
    return PayoutDetails(profile.account_holder, profile.iban, profile.bic, profile.tax_id)


# --------------------------------------------------------------------------- cooling-off


def cooling_off_days() -> int:
    return int(getattr(settings, "DOWNLINE_PAYOUT_COOLING_OFF_DAYS", 7))


def cooling_off_end(profile: PayoutProfile | None) -> datetime | None:
    """When payouts resume after the last change of the bank account (``None``: never held)."""
    if profile is None or profile.bank_changed_at is None:
        return None
    return profile.bank_changed_at + timedelta(days=cooling_off_days())


def in_cooling_off(profile: PayoutProfile | None, now: datetime | None = None) -> bool:
    end = cooling_off_end(profile)
    return end is not None and (now or timezone.now()) < end


def _company_time(instant: datetime) -> str:
    return instant.astimezone(ZoneInfo(settings.DOWNLINE_TIME_ZONE)).strftime("%Y-%m-%d %H:%M")


def cooling_off_hold(profile: PayoutProfile | None, now: datetime | None = None) -> str | None:
    """The hold's reason while the member's bank account changed less than the cooling-off
    period ago, ``None`` otherwise."""
    if not in_cooling_off(profile, now):
        return None
    return _("Bank details changed on %(changed)s; payouts resume on %(resume)s (%(zone)s).") % {
        "changed": _company_time(profile.bank_changed_at),
        "resume": _company_time(cooling_off_end(profile)),
        "zone": settings.DOWNLINE_TIME_ZONE,
    }


# --------------------------------------------------------------------------- confirmation links


def make_confirmation_token(change: PayoutDetailsChange) -> str:
    """A signed link token for ``change`` (its id and its member's id)."""
    return signing.dumps({"c": change.pk, "d": change.distributor_id}, salt=SALT)


def change_for_token(token: str, member: Distributor) -> PayoutDetailsChange:
    """The pending change a confirmation link stands for, for ``member`` only.

    Refused with ``PayoutDetailsError``: a forged, altered or expired link; a link of another
    member; a change that was confirmed already or replaced by a newer one.
    """
    try:
        data = signing.loads(token, salt=SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired as error:
        raise PayoutDetailsError(
            _(
                "This confirmation link has expired (links are valid for %(hours)d hours). "
                "Enter your payout details again to get a new one."
            )
            % {"hours": CONFIRMATION_MAX_AGE // 3600}
        ) from error
    except signing.BadSignature as error:
        raise PayoutDetailsError(
            _("This confirmation link is not valid: copy the whole link from the e-mail.")
        ) from error
    change = (
        PayoutDetailsChange.objects.filter(pk=data.get("c"), distributor_id=data.get("d"))
        .select_related("distributor")
        .first()
        if isinstance(data, dict)
        else None
    )
    if change is None or change.distributor_id != member.pk:
        raise PayoutDetailsError(
            _("This confirmation link is not valid: copy the whole link from the e-mail.")
        )
    if change.status == PayoutDetailsChange.Status.CONFIRMED:
        raise PayoutDetailsError(_("These payout details were confirmed already."))
    if change.status == PayoutDetailsChange.Status.SUPERSEDED:
        raise PayoutDetailsError(
            _(
                "You entered newer payout details after this link was sent; "
                "open the link of the newest e-mail."
            )
        )
    return change


# --------------------------------------------------------------------------- actions


@transaction.atomic
def do_request_payout_details_change(
    member: Distributor,
    *,
    account_holder: str,
    iban: str,
    bic: str,
    tax_id: str,
    actor: User | None,
    address: str | None,
    send_to: str,
) -> PayoutDetailsChange:
    """Record new payout details of ``member`` as pending, to be confirmed from ``send_to``.

    The details are validated (every bad field named); details equal to the current ones are
    refused; an older pending change of the member is superseded. Nothing is applied yet.
    """
    details = clean_payout_details(account_holder, iban, bic, tax_id)
    if not send_to:
        raise PayoutDetailsError(
            _(
                "Your login has no e-mail address to confirm the change with; "
                "add one on your profile first."
            )
        )
    profile = PayoutProfile.objects.filter(distributor=member).first()
    if details == current_details(profile):
        raise PayoutDetailsError(_("These are your current payout details; nothing changed."))
    PayoutDetailsChange.objects.filter(
        distributor=member, status=PayoutDetailsChange.Status.PENDING
    ).update(status=PayoutDetailsChange.Status.SUPERSEDED)
    return PayoutDetailsChange.objects.create(
        distributor=member,
        account_holder=details.account_holder,
        iban=details.iban,
        bic=details.bic,
        tax_id=details.tax_id,
        requested_at=timezone.now(),
        requested_by=actor,
        requested_from=address or None,
        sent_to=send_to,
    )


def _history_row(
    member: Distributor,
    old: PayoutDetails,
    new: PayoutDetails,
    *,
    changed_at: datetime,
    changed_by: User | None,
    source: str,
    requested_from: str | None = None,
    confirmed_from: str | None = None,
) -> PayoutDetailsHistory:
    return PayoutDetailsHistory(
        distributor=member,
        changed_at=changed_at,
        changed_by=changed_by,
        source=source,
        requested_from=requested_from or None,
        confirmed_from=confirmed_from or None,
        old_account_holder=old.account_holder,
        new_account_holder=new.account_holder,
        old_iban=mask_last4(old.iban),
        new_iban=mask_last4(new.iban),
        old_bic=old.bic,
        new_bic=new.bic,
        old_tax_id=mask_last4(old.tax_id),
        new_tax_id=mask_last4(new.tax_id),
        bank_changed=new.bank_differs(old),
    )


@transaction.atomic
def do_confirm_payout_details_change(
    change: PayoutDetailsChange, *, actor: User | None, address: str | None
) -> PayoutDetailsHistory:
    """Apply a pending change (its link was followed): the profile takes the new details, a
    history row records old → new, and a new bank account starts the cooling-off period."""
    locked = PayoutDetailsChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != PayoutDetailsChange.Status.PENDING:
        raise PayoutDetailsError(
            _("This change of payout details is %(status)s; it cannot be confirmed.")
            % {"status": locked.get_status_display()}
        )
    if timezone.now() - locked.requested_at > timedelta(seconds=CONFIRMATION_MAX_AGE):
        raise PayoutDetailsError(
            _("This change was asked for more than %(hours)d hours ago; enter it again.")
            % {"hours": CONFIRMATION_MAX_AGE // 3600}
        )
    member = locked.distributor
    profile, _created = PayoutProfile.objects.select_for_update().get_or_create(distributor=member)
    old = current_details(profile)
    new = PayoutDetails(locked.account_holder, locked.iban, locked.bic, locked.tax_id)
    now = timezone.now()
    row = _history_row(
        member,
        old,
        new,
        changed_at=now,
        changed_by=actor,
        source=PayoutDetailsHistory.Source.SELF_SERVICE,
        requested_from=locked.requested_from,
        confirmed_from=address,
    )
    row.save()
    profile.account_holder, profile.iban, profile.bic, profile.tax_id = (
        new.account_holder,
        new.iban,
        new.bic,
        new.tax_id,
    )
    if row.bank_changed:
        profile.bank_changed_at = now
    profile.save()
    locked.status = PayoutDetailsChange.Status.CONFIRMED
    locked.confirmed_at = now
    locked.save(update_fields=["status", "confirmed_at"])
    return row


@transaction.atomic
def do_seed_payout_details(
    rows: Iterable[tuple[Distributor, str, str, str, str, datetime]],
) -> int:
    """Write confirmed payout details in bulk; for imports and the demo, run by staff.

    Each row is ``(distributor, account_holder, iban, bic, tax_id, changed_at)``. No e-mail is
    sent and nothing waits for confirmation: the details apply at once, as if changed (and
    confirmed) at ``changed_at``, so the cooling-off period runs from ``changed_at``. Each row
    gets a history row dated ``changed_at`` (source "import"). Every row is validated first; one
    bad row refuses them all, naming its number, member and field. A row equal to the member's
    current details is skipped. Returns the number of members whose details were written.
    """
    cleaned: list[tuple[Distributor, PayoutDetails, datetime]] = []
    for number, (member, holder, iban, bic, tax_id, changed_at) in enumerate(rows, start=1):
        try:
            details = clean_payout_details(holder, iban, bic, tax_id)
        except PayoutDetailsError as error:
            raise PayoutDetailsError(
                _("Row %(row)d (%(member)s): %(problem)s")
                % {"row": number, "member": member.member_id, "problem": error.message},
                errors=error.errors,
            ) from error
        if timezone.is_naive(changed_at):
            raise PayoutDetailsError(
                _("Row %(row)d (%(member)s): the change time needs a time zone.")
                % {"row": number, "member": member.member_id}
            )
        cleaned.append((member, details, changed_at))
    ids = [member.pk for member, _details, _when in cleaned]
    if len(set(ids)) != len(ids):
        raise PayoutDetailsError(_("Each member may appear only once in payout details to seed."))
    existing = {p.distributor_id: p for p in PayoutProfile.objects.filter(distributor_id__in=ids)}
    profiles = []
    history = []
    for member, details, changed_at in cleaned:
        old = current_details(existing.get(member.pk))
        if details == old:
            continue
        history.append(
            _history_row(
                member,
                old,
                details,
                changed_at=changed_at,
                changed_by=None,
                source=PayoutDetailsHistory.Source.IMPORT,
            )
        )
        previous = existing.get(member.pk)
        bank_changed_at = (
            changed_at
            if previous is None or details.bank_differs(old)
            else previous.bank_changed_at
        )
        profiles.append(
            PayoutProfile(
                distributor=member,
                account_holder=details.account_holder,
                iban=details.iban,
                bic=details.bic,
                tax_id=details.tax_id,
                bank_changed_at=bank_changed_at,
            )
        )
    if not profiles:
        return 0
    PayoutProfile.objects.bulk_create(
        profiles,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["distributor"],
        update_fields=[*FIELDS, "bank_changed_at", "updated_at"],
    )
    PayoutDetailsHistory.objects.bulk_create(history, batch_size=500)
    return len(profiles)


# --------------------------------------------------------------------------- compliance hold

COMPLIANCE_REASON_MAX = 1000  # characters of a compliance hold's reason


@transaction.atomic
def do_set_compliance_hold(
    member: Distributor, *, hold: bool, reason: str, actor: User
) -> ComplianceHoldChange:
    """Set (``hold=True``) or lift the compliance hold on ``member``'s payouts, with a reason.

    Rules: the actor is an active staff login that is not ``member``'s own login (nobody holds
    or frees their own payouts); the reason is required (at most ``COMPLIANCE_REASON_MAX``
    characters); setting a hold that is set, or lifting one that is not, is refused. The reason
    becomes the profile's compliance note (shown on the hold in every payout batch) and a
    ``ComplianceHoldChange`` row records who, when and why. Bank and tax details are untouched.
    """
    text = (reason or "").strip()
    if not text:
        raise PayoutDetailsError(
            _("Say why the compliance hold is set or lifted."), errors={"reason": _("Required.")}
        )
    if len(text) > COMPLIANCE_REASON_MAX:
        problem = _("The reason has at most %(limit)d characters; this one has %(length)d.") % {
            "limit": COMPLIANCE_REASON_MAX,
            "length": len(text),
        }
        raise PayoutDetailsError(problem, errors={"reason": problem})
    if actor is None or not (actor.is_active and actor.is_staff):
        raise PayoutDetailsError(_("Only staff set or lift a compliance hold."))
    if member.user_id is not None and member.user_id == actor.pk:
        raise PayoutDetailsError(
            _("You cannot set or lift the compliance hold on your own payouts.")
        )
    profile, _created = PayoutProfile.objects.select_for_update().get_or_create(distributor=member)
    if profile.compliance_hold == hold:
        raise PayoutDetailsError(
            _("The payouts of %(member)s are on compliance hold already.")
            % {"member": member.member_id}
            if hold
            else _("The payouts of %(member)s are not on compliance hold.")
            % {"member": member.member_id}
        )
    profile.compliance_hold = hold
    profile.compliance_note = text if hold else ""
    profile.save(update_fields=["compliance_hold", "compliance_note", "updated_at"])
    return ComplianceHoldChange.objects.create(
        distributor=member, hold=hold, reason=text, changed_at=timezone.now(), changed_by=actor
    )
