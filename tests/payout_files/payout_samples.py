"""Sample payout batches for the file and provider tests (published example IBANs and BICs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from downline.payouts.instructions import BatchFile, Debtor, PayoutInstruction

COMPANY = Debtor(
    name="Downline Demo GmbH", iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX", country="DE"
)
# Examples from the SWIFT IBAN registry and the banks' published documentation.
GERMAN_IBAN = "DE89370400440532013000"
BRITISH_IBAN = "GB82WEST12345698765432"
POLISH_IBAN = "PL61109010140000071219812874"
FRENCH_IBAN = "FR1420041010050500013M02606"
DUTCH_IBAN = "NL91ABNA0417164300"
AUSTRIAN_IBAN = "AT611904300234573201"
SWISS_IBAN = "CH9300762011623852957"
NORWEGIAN_IBAN = "NO9386011117947"
MALTESE_IBAN = "MT84MALT011000012345MTLCAST001S"
BRAZILIAN_IBAN = "BR1800360305000010009795493C1"
PUBLISHED_IBANS = (
    GERMAN_IBAN,
    BRITISH_IBAN,
    POLISH_IBAN,
    FRENCH_IBAN,
    DUTCH_IBAN,
    AUSTRIAN_IBAN,
    SWISS_IBAN,
    NORWEGIAN_IBAN,
    MALTESE_IBAN,
    BRAZILIAN_IBAN,
)


def instruction(payout_id: int = 1, **changes: object) -> PayoutInstruction:
    base = PayoutInstruction(
        payout_id=payout_id,
        idempotency_key=f"P{payout_id}-B7",
        member_id=f"M{payout_id:04d}",
        name="Anna Schmidt",
        iban=GERMAN_IBAN,
        bic="COBADEFFXXX",
        amount=12_50,
        currency="EUR",
        reference=f"Commission 2026-10 member M{payout_id:04d}",
    )
    return replace(base, **changes)


def batch(*instructions: PayoutInstruction, **changes: object) -> BatchFile:
    base = BatchFile(
        batch_id="B7",
        created_at=datetime(2026, 11, 2, 9, 30, 15, tzinfo=UTC),
        debtor=COMPANY,
        execution_date=date(2026, 11, 3),
        instructions=instructions or (instruction(),),
    )
    return replace(base, **changes)
