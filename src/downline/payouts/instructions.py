"""What a payout batch hands to a file format or a payment provider (pure Python, no Django).

The payout models are read into these frozen records once; the file writers and provider
adapters see nothing else. Every record checks itself when it is built, so a file is either
written whole from valid data or not at all:

- amounts are positive integers in the currency's minor unit (never a float);
- IBANs are normalised (spaces removed, upper case) and must pass the ISO 13616 check; BICs
  are upper case and must match ISO 9362; a creditor BIC may be empty (an IBAN-only payment);
- identifiers that a bank sees (the batch id, each idempotency key) follow one format,
  :data:`IDENTIFIER_PATTERN`, that fits every ISO 20022 ``Max35Text`` identifier and the EPC's
  rules for them: 1 to 35 characters of ``A-Z a-z 0-9 -``, starting and ending with a letter or
  digit (so never a ``/`` or ``//``, which SEPA forbids in references).

An idempotency key names one attempt to pay one payout. It is the ``EndToEndId`` the bank
reports back and the key a provider uses to refuse paying twice, so it must stay the same when
a submission is retried and must never be reused for another payment.
:func:`make_idempotency_key` builds the recommended form ``P<payout id>-<batch id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from downline.core.errors import DownlineError
from downline.i18n import gettext as _
from downline.money import is_currency_code
from downline.payouts.bank_details import bic_problem, iban_problem, normalize_bic, normalize_iban

IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,33}[A-Za-z0-9])?$")
IDENTIFIER_MAX_LENGTH = 35


class PayoutFileError(DownlineError):
    """Payout data that cannot go into a payment file, or a provider that refuses a request."""


def identifier_problem(value: str) -> str | None:
    """Why ``value`` cannot be a batch id or idempotency key, or ``None`` when it can."""
    if not value:
        return _("It is empty.")
    if len(value) > IDENTIFIER_MAX_LENGTH:
        return _("It has %(length)d characters; at most %(limit)d are allowed.") % {
            "length": len(value),
            "limit": IDENTIFIER_MAX_LENGTH,
        }
    if not IDENTIFIER_PATTERN.match(value):
        return _(
            "Only letters A-Z, digits and '-' are allowed, and it must start and end with a "
            "letter or digit."
        )
    return None


def make_idempotency_key(payout_id: int, batch_id: str) -> str:
    """The idempotency key ``P<payout id>-<batch id>`` of one payout in one batch.

    A payout that fails and is paid again in a later batch gets a new key, because it is a new
    attempt; a retry of the same batch keeps its keys. Raises :class:`PayoutFileError` when the
    key would not fit the 35-character identifier format.
    """
    key = f"P{payout_id}-{batch_id}"
    problem = identifier_problem(key)
    if problem:
        raise PayoutFileError(
            _("Payout %(payout)s: the idempotency key %(key)s is not valid. %(problem)s")
            % {"payout": payout_id, "key": key, "problem": problem},
            field="idempotency_key",
        )
    return key


@dataclass(frozen=True, slots=True)
class Debtor:
    """The company's account the payouts are paid from. ``country`` is ISO 3166 alpha-2 or ""."""

    name: str
    iban: str
    bic: str
    country: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "iban", normalize_iban(self.iban))
        object.__setattr__(self, "bic", normalize_bic(self.bic))
        object.__setattr__(self, "country", self.country.strip().upper())
        field, problem = self._first_problem()
        if problem:
            raise PayoutFileError(
                _("The paying account, %(field)s: %(problem)s")
                % {"field": field, "problem": problem},
                field=field,
            )

    def _first_problem(self) -> tuple[str, str | None]:
        if self.country and not re.fullmatch(r"[A-Z]{2}", self.country):
            return "country", _("%(country)r is not a two-letter country code.") % {
                "country": self.country
            }
        checks = (
            ("name", None if self.name.strip() else _("The name is empty.")),
            ("iban", iban_problem(self.iban)),
            ("bic", bic_problem(self.bic)),
        )
        for field, problem in checks:
            if problem:
                return field, problem
        return "", None


@dataclass(frozen=True, slots=True)
class PayoutInstruction:
    """One payment to one member: ``amount`` in minor units of ``currency``, greater than zero.

    ``bic`` may be empty: the payment then goes by IBAN only (allowed in SEPA).
    """

    payout_id: int
    idempotency_key: str
    member_id: str
    name: str
    iban: str
    bic: str
    amount: int
    currency: str
    reference: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "iban", normalize_iban(self.iban))
        object.__setattr__(self, "bic", normalize_bic(self.bic))
        field, problem = self._first_problem()
        if problem:
            raise PayoutFileError(
                _("Payout %(payout)s, %(field)s: %(problem)s")
                % {"payout": self.payout_id, "field": field, "problem": problem},
                field=field,
            )

    def _first_problem(self) -> tuple[str, str | None]:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            return "amount", _("The amount must be an integer count of minor units.")
        if self.amount <= 0:
            return "amount", _("The amount must be greater than zero, not %(amount)d.") % {
                "amount": self.amount
            }
        if not is_currency_code(self.currency):
            return "currency", _("%(currency)r is not a three-letter currency code.") % {
                "currency": self.currency
            }
        checks = (
            ("idempotency_key", identifier_problem(self.idempotency_key)),
            ("name", None if self.name.strip() else _("The name is empty.")),
            ("iban", iban_problem(self.iban)),
            ("bic", bic_problem(self.bic) if self.bic else None),
        )
        for field, problem in checks:
            if problem:
                return field, problem
        return "", None


@dataclass(frozen=True, slots=True)
class BatchFile:
    """A batch as it goes into one file: at least one instruction, idempotency keys unique.

    ``batch_id`` follows the identifier format (it becomes the file's message id);
    ``created_at`` must carry a time zone; ``debtor`` (the paying account) may be ``None`` for
    formats that do not name it (CSV), and a SEPA file refuses that.
    """

    batch_id: str
    created_at: datetime
    debtor: Debtor | None
    execution_date: date
    instructions: tuple[PayoutInstruction, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "instructions", tuple(self.instructions))
        problem = identifier_problem(self.batch_id)
        if problem:
            raise PayoutFileError(
                _("Batch id %(batch)r: %(problem)s") % {"batch": self.batch_id, "problem": problem},
                field="batch_id",
            )
        if self.created_at.tzinfo is None or self.created_at.utcoffset() is None:
            raise PayoutFileError(
                _("Batch %(batch)s: the creation time must carry a time zone.")
                % {"batch": self.batch_id},
                field="created_at",
            )
        if not self.instructions:
            raise PayoutFileError(
                _("Batch %(batch)s has no payouts.") % {"batch": self.batch_id},
                field="instructions",
            )
        keys: dict[str, int] = {}
        payout_ids: set[int] = set()
        for instruction in self.instructions:
            if instruction.payout_id in payout_ids:
                raise PayoutFileError(
                    _("Batch %(batch)s lists payout %(payout)s twice.")
                    % {"batch": self.batch_id, "payout": instruction.payout_id},
                    field="instructions",
                )
            payout_ids.add(instruction.payout_id)
            earlier = keys.setdefault(instruction.idempotency_key, instruction.payout_id)
            if earlier != instruction.payout_id:
                raise PayoutFileError(
                    _(
                        "Batch %(batch)s: payouts %(first)s and %(second)s share the "
                        "idempotency key %(key)s."
                    )
                    % {
                        "batch": self.batch_id,
                        "first": earlier,
                        "second": instruction.payout_id,
                        "key": instruction.idempotency_key,
                    },
                    field="instructions",
                )

    @property
    def total(self) -> dict[str, int]:
        """Sum of amounts per currency, in minor units."""
        totals: dict[str, int] = {}
        for instruction in self.instructions:
            totals[instruction.currency] = totals.get(instruction.currency, 0) + instruction.amount
        return totals
