"""Payment-provider adapters: the interface, a registry, and the built-in SEPA bank file.

The contract every adapter keeps (:class:`PayoutProvider`):

- ``submit(batch)`` hands the batch's instructions to the provider and returns one
  :class:`SubmissionResult` per instruction, in batch order.
- **Idempotency.** The idempotency key identifies one payment. Submitting a key the provider
  has seen before returns the earlier result and moves no money again, however often it is
  retried (after a timeout, a crash, a second click). A key seen before with a different
  payout, account, amount or currency is refused with :class:`ProviderError` before anything
  is sent, because a key must never stand for two payments.
- **accepted** means the provider took the payment; the money has left the company's hands
  as far as the platform can tell, and the batch is confirmed paid later (a bank statement,
  the operator's *mark paid*). **failed** means the provider will not pay it: the money is
  still the member's, and the caller (the payout action) returns it to the member's wallet.
  ``failure_reason`` then says why, in the language in force during the call.
- A :class:`ProviderError` raised by ``submit`` means nothing of the call was sent or recorded.
- ``status(key)`` returns the latest result for a key the provider has seen and raises
  :class:`ProviderError` for a key it has not.

Adapters are looked up by name with :func:`get_provider`; :func:`register_provider` adds one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from downline.i18n import gettext as _
from downline.payouts.files import sepa_name, sepa_pain001, sepa_problem
from downline.payouts.instructions import (
    IDENTIFIER_MAX_LENGTH,
    BatchFile,
    PayoutFileError,
    PayoutInstruction,
)


class ProviderError(PayoutFileError):
    """A provider refused a whole request; nothing of it was sent or recorded."""


class SubmissionStatus(StrEnum):
    ACCEPTED = "accepted"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    """What a provider did with one instruction (see the module's contract)."""

    idempotency_key: str
    status: SubmissionStatus
    provider_reference: str = ""
    failure_reason: str = ""


@runtime_checkable
class PayoutProvider(Protocol):
    """A payment provider adapter; every implementation keeps the module's contract."""

    name: str

    def submit(self, batch: BatchFile) -> list[SubmissionResult]:
        """One result per instruction of ``batch``, in batch order; idempotent per key."""
        ...

    def status(self, idempotency_key: str) -> SubmissionResult:
        """The latest result for a key submitted before; :class:`ProviderError` otherwise."""
        ...


_REGISTRY: dict[str, Callable[..., PayoutProvider]] = {}


def register_provider(name: str, factory: Callable[..., PayoutProvider]) -> None:
    """Make ``factory(**options)`` available as ``get_provider(name, **options)``."""
    _REGISTRY[name] = factory


def provider_names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))


def get_provider(name: str, **options: Any) -> PayoutProvider:
    """The provider registered as ``name``, built with ``options`` (e.g. ``folder=`` for
    ``"sepa-file"``). Raises :class:`ProviderError` for an unknown name."""
    factory = _REGISTRY.get(name)
    if factory is None:
        raise ProviderError(
            _("There is no payment provider %(name)r; the known ones are: %(known)s.")
            % {"name": name, "known": ", ".join(provider_names())},
            field="provider",
        )
    return factory(**options)


def _fingerprint(instruction: PayoutInstruction) -> str:
    """The parts of a payment that one idempotency key must never change."""
    payment = [instruction.payout_id, instruction.iban, instruction.amount, instruction.currency]
    return hashlib.sha256(json.dumps(payment).encode()).hexdigest()


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) for the ``with`` block."""
    with path.open("a+b") as handle:
        _lock(handle)
        try:
            yield
        finally:
            _unlock(handle)


if os.name == "nt":  # pragma: no cover - the platform runs on POSIX; this keeps Windows usable
    import msvcrt

    def _lock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _write_atomically(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` so that a reader sees the old or the new file whole."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class BankFileProvider:
    """``"sepa-file"``: writes each submission as a pain.001 file for the bank into ``folder``.

    New instructions of a submission go into one file, ``<message id>.xml``; the message id is
    the batch id, or ``<batch id>-R<n>`` for the n-th file of the same batch (instructions
    added to a batch that was submitted before). Each written instruction is *accepted*,
    pending the bank's confirmation, with the message id as its provider reference. An
    instruction that SEPA cannot carry (not EUR, account outside SEPA, name without Latin or
    Cyrillic letters) is *failed* with the reason and not written.

    ``journal.json`` in the folder records every key with its result, so a key submitted again
    returns that result and is never written to a second file. The file is written before the
    journal: after a crash between the two, submitting the batch again writes the same file
    name again, replacing it, rather than a second file. A lock file (``.lock``) serialises
    submissions from several processes.
    """

    name = "sepa-file"
    JOURNAL = "journal.json"

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    @property
    def journal_path(self) -> Path:
        return self.folder / self.JOURNAL

    def submit(self, batch: BatchFile) -> list[SubmissionResult]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with _exclusive(self.folder / ".lock"):
            journal = self._read_journal()
            known: dict[str, dict[str, str]] = journal["submissions"]
            self._refuse_reused_keys(batch, known)
            fresh = [i for i in batch.instructions if i.idempotency_key not in known]
            entries: dict[str, dict[str, str]] = {}
            to_write: list[PayoutInstruction] = []
            for instruction in fresh:
                problem = sepa_problem(instruction)
                if problem:
                    entries[instruction.idempotency_key] = self._entry(
                        instruction, batch, SubmissionStatus.FAILED, "", problem
                    )
                else:
                    to_write.append(instruction)
            if to_write:
                message_id = self._next_message_id(batch.batch_id, journal["files"])
                self._write_file(batch, message_id, to_write)
                journal["files"][message_id] = {
                    "batch_id": batch.batch_id,
                    "keys": [instruction.idempotency_key for instruction in to_write],
                }
                for instruction in to_write:
                    entries[instruction.idempotency_key] = self._entry(
                        instruction, batch, SubmissionStatus.ACCEPTED, message_id, ""
                    )
            if entries:
                known.update(entries)
                _write_atomically(
                    self.journal_path,
                    json.dumps(journal, indent=1, sort_keys=True, ensure_ascii=False).encode(),
                )
            return [self._result(i.idempotency_key, known) for i in batch.instructions]

    def status(self, idempotency_key: str) -> SubmissionResult:
        known = self._read_journal()["submissions"]
        if idempotency_key not in known:
            raise ProviderError(
                _("The provider %(provider)s has no payout with the idempotency key %(key)s.")
                % {"provider": self.name, "key": idempotency_key},
                field="idempotency_key",
            )
        return self._result(idempotency_key, known)

    def _read_journal(self) -> dict[str, Any]:
        if not self.journal_path.exists():
            return {"format": 1, "files": {}, "submissions": {}}
        try:
            journal = json.loads(self.journal_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ProviderError(
                _("The journal %(path)s cannot be read: %(error)s")
                % {"path": self.journal_path, "error": error},
                field="provider",
            ) from error
        if not isinstance(journal, dict) or journal.get("format") != 1:
            raise ProviderError(
                _("The journal %(path)s is not a payout journal of format 1.")
                % {"path": self.journal_path},
                field="provider",
            )
        return journal

    def _refuse_reused_keys(self, batch: BatchFile, known: dict[str, dict[str, str]]) -> None:
        for instruction in batch.instructions:
            earlier = known.get(instruction.idempotency_key)
            if earlier is not None and earlier["fingerprint"] != _fingerprint(instruction):
                raise ProviderError(
                    _(
                        "Payout %(payout)s: the idempotency key %(key)s was submitted before "
                        "(batch %(batch)s) for a different payment; a key stands for one "
                        "payment only."
                    )
                    % {
                        "payout": instruction.payout_id,
                        "key": instruction.idempotency_key,
                        "batch": earlier["batch_id"],
                    },
                    field="idempotency_key",
                )

    @staticmethod
    def _next_message_id(batch_id: str, files: dict[str, Any]) -> str:
        """The batch id for its first file, then ``<batch id>-R2``, ``-R3`` … unused ones."""
        candidate, number = batch_id, 1
        while candidate in files:
            number += 1
            candidate = f"{batch_id}-R{number}"
        if len(candidate) > IDENTIFIER_MAX_LENGTH:
            raise ProviderError(
                _(
                    "Batch %(batch)s: the message id %(message)s of its file number "
                    "%(number)d is longer than %(limit)d characters; use a shorter batch id."
                )
                % {
                    "batch": batch_id,
                    "message": candidate,
                    "number": number,
                    "limit": IDENTIFIER_MAX_LENGTH,
                },
                field="batch_id",
            )
        return candidate

    def _write_file(
        self, batch: BatchFile, message_id: str, instructions: list[PayoutInstruction]
    ) -> None:
        if batch.debtor is None:
            raise ProviderError(
                _("A SEPA file needs the paying account (name, IBAN, BIC)."), field="debtor"
            )
        if sepa_name(batch.debtor.name) is None:
            raise ProviderError(
                _("The paying account's name %(name)r has no letters that SEPA can carry.")
                % {"name": batch.debtor.name},
                field="debtor",
            )
        part = BatchFile(
            batch_id=message_id,
            created_at=batch.created_at,
            debtor=batch.debtor,
            execution_date=batch.execution_date,
            instructions=tuple(instructions),
        )
        _write_atomically(self.folder / f"{message_id}.xml", sepa_pain001(part))

    @staticmethod
    def _entry(
        instruction: PayoutInstruction,
        batch: BatchFile,
        status: SubmissionStatus,
        reference: str,
        reason: str,
    ) -> dict[str, str]:
        return {
            "batch_id": batch.batch_id,
            "payout_id": str(instruction.payout_id),
            "fingerprint": _fingerprint(instruction),
            "status": status.value,
            "provider_reference": reference,
            "failure_reason": reason,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }

    @staticmethod
    def _result(key: str, known: dict[str, dict[str, str]]) -> SubmissionResult:
        entry = known[key]
        return SubmissionResult(
            idempotency_key=key,
            status=SubmissionStatus(entry["status"]),
            provider_reference=entry["provider_reference"],
            failure_reason=entry["failure_reason"],
        )


register_provider(BankFileProvider.name, BankFileProvider)
