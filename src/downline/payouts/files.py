"""Payout batch files: a CSV for people and spreadsheets, a SEPA credit transfer for the bank.

Both are pure functions of a :class:`~downline.payouts.instructions.BatchFile`: the same batch
gives the same bytes, so a file can be written again after a crash and compared.

**CSV** (:func:`payout_csv`): UTF-8 without a byte-order mark, comma-separated, CRLF line ends,
quoted where needed (RFC 4180), one header line with the fixed column names of
:data:`CSV_COLUMNS`, then one row per instruction in batch order. The amount is a decimal with
the currency's minor digits (``1250`` EUR → ``12.50``, ``1250`` JPY → ``1250``). A cell that a
spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is written with a leading ``'``. Invisible control and format characters
(``without_controls``: right-to-left overrides such as U+202E, zero-width characters, C0/C1
controls) are removed from every cell, so a name cannot reorder or hide what a reader sees.

**SEPA** (:func:`sepa_pain001`): ISO 20022 ``pain.001.001.09``, one payment information block
for the whole batch. SEPA pays in euro only, to accounts in SEPA countries; an instruction that
breaks a SEPA rule is refused with a message naming the payout (:func:`sepa_problem` tells the
reason without raising). Text is written in the SEPA basic Latin character set
(``a-z A-Z 0-9 / - ? : ( ) . , ' +`` and space) by :func:`sepa_text`:

- Cyrillic is transliterated as in the machine-readable zone of passports (ICAO Doc 9303, the
  system Russian and Ukrainian passports use): ``Щукина → Shchukina``, ``Юрий → Iurii``;
- Greek letter by letter as ELOT 743 writes it, with ``ου → ou``: ``Παπαδόπουλος →
  Papadopoulos``;
- the German and Nordic letters that ICAO spells with two letters keep them: ``Ä → Ae``,
  ``Ö → Oe``, ``Ü → Ue``, ``ß → ss``, ``Å → Aa``, ``Æ → Ae``, ``Ø → Oe``, ``Œ → Oe``,
  ``Þ → Th``, and ``Ł → L``, ``Đ → D``; every other accented letter loses its accent
  (``Łódź → Lodz``, ``Müller → Mueller``, ``José → Jose``);
- ``&`` becomes ``+``; typographic quotes and dashes become ``'`` and ``-``; any other character
  (other scripts, symbols) becomes a space; runs of spaces shrink to one;
- names are cut to 70 characters (the EPC's limit for names), the remittance text to 140.

A name with no letter or digit left after this is refused, since the bank could not tell who is
paid.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import xml.etree.ElementTree as ET

from downline.core.csv_safety import escape_formula
from downline.i18n import gettext as _
from downline.money import format_decimal, minor_units
from downline.payouts.bank_details import SEPA_COUNTRIES
from downline.payouts.instructions import BatchFile, PayoutFileError, PayoutInstruction

CSV_COLUMNS = (
    "payout_id",
    "idempotency_key",
    "member_id",
    "name",
    "iban",
    "bic",
    "amount",
    "currency",
    "reference",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PAIN_001_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
SEPA_CURRENCY = "EUR"
SEPA_NAME_LENGTH = 70
SEPA_REMITTANCE_LENGTH = 140
# The largest amount one SEPA credit transfer can carry: 999,999,999.99 EUR.
SEPA_MAX_AMOUNT = 99_999_999_999

_CYRILLIC = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E", "Ж": "Zh", "З": "Z",
    "И": "I", "Й": "I", "К": "K", "Л": "L", "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R",
    "С": "S", "Т": "T", "У": "U", "Ф": "F", "Х": "Kh", "Ц": "Ts", "Ч": "Ch", "Ш": "Sh",
    "Щ": "Shch", "Ъ": "Ie", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "Iu", "Я": "Ia",
    "Є": "Ie", "І": "I", "Ї": "I", "Ґ": "G", "Ў": "U",
    "Ђ": "D", "Ј": "J", "Љ": "Lj", "Њ": "Nj", "Ћ": "C", "Џ": "Dz", "Ѕ": "Dz", "Ѓ": "Gj",
    "Ќ": "Kj",
}  # fmt: skip
_GREEK = {
    "Α": "A", "Β": "V", "Γ": "G", "Δ": "D", "Ε": "E", "Ζ": "Z", "Η": "I", "Θ": "Th", "Ι": "I",
    "Κ": "K", "Λ": "L", "Μ": "M", "Ν": "N", "Ξ": "X", "Ο": "O", "Π": "P", "Ρ": "R", "Σ": "S",
    "Τ": "T", "Υ": "Y", "Φ": "F", "Χ": "Ch", "Ψ": "Ps", "Ω": "O",
}  # fmt: skip
_LATIN = {
    "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "Å": "Aa", "Æ": "Ae", "Ø": "Oe", "Œ": "Oe", "Þ": "Th",
    "Ł": "L", "Đ": "D", "Ð": "D", "Ħ": "H", "Ŀ": "L", "Ŋ": "Ng", "Ĳ": "Ij", "ẞ": "Ss",
}  # fmt: skip
_PUNCTUATION = {
    "&": "+",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "`": "'",
    "´": "'",
    "ʼ": "'",
    "“": "'",
    "”": "'",
    "„": "'",
    '"': "'",
    "«": "'",
    "»": "'",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "_": "-",
    "\\": "/",
}


def _transliteration_table() -> dict[str, str]:
    """Upper- and lower-case spellings of every letter that has a fixed transliteration."""
    table: dict[str, str] = {}
    for source in (_CYRILLIC, _GREEK, _LATIN):
        for upper, latin in source.items():
            table[upper] = latin
            table[upper.lower()] = latin.lower()
    table["ß"] = "ss"
    table["ı"] = "i"
    table["ς"] = "s"
    table.update(_PUNCTUATION)
    return table


_TRANSLITERATION = _transliteration_table()
_SEPA_CHARACTER = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]")
_SPACES = re.compile(r" {2,}")
# Greek ου is one sound, written ou (ELOT 743); υ elsewhere is y.
_GREEK_OU = re.compile(r"[Οο][ΥυύΎ]")
_GREEK_OU_LATIN = {"Ο": "O", "ο": "o", "Υ": "U", "Ύ": "U", "υ": "u", "ύ": "u"}


def _transliterate_character(character: str, following: str) -> str:
    latin = _TRANSLITERATION.get(character)
    if latin is None:
        decomposed = unicodedata.normalize("NFKD", character)
        latin = "".join(part for part in decomposed if not unicodedata.combining(part))
        latin = _TRANSLITERATION.get(latin, latin)
    if len(latin) > 1 and character.isupper() and (not following or following.isupper()):
        # ШИШКИН → SHISHKIN, but Шишкин → Shishkin.
        latin = latin.upper()
    return "".join(part if _SEPA_CHARACTER.match(part) else " " for part in latin)


def sepa_text(text: str, limit: int) -> str:
    """``text`` in the SEPA basic Latin character set, at most ``limit`` characters (see above)."""
    text = without_controls(text)
    text = _GREEK_OU.sub(lambda pair: "".join(_GREEK_OU_LATIN[c] for c in pair[0]), text)
    parts = [
        _transliterate_character(character, text[index + 1 : index + 2])
        for index, character in enumerate(text)
    ]
    written = _SPACES.sub(" ", "".join(parts)).strip()
    return written[:limit].rstrip()


def sepa_name(name: str) -> str | None:
    """The name as SEPA writes it, or ``None`` when no letter or digit of it survives."""
    written = sepa_text(name, SEPA_NAME_LENGTH)
    return written if any(character.isalnum() for character in written) else None


def sepa_problem(instruction: PayoutInstruction) -> str | None:
    """Why ``instruction`` cannot go into a SEPA credit transfer, or ``None`` when it can."""
    if instruction.currency != SEPA_CURRENCY:
        return _("Payout %(payout)s is in %(currency)s; a SEPA transfer pays in EUR only.") % {
            "payout": instruction.payout_id,
            "currency": instruction.currency,
        }
    if instruction.amount > SEPA_MAX_AMOUNT:
        return _(
            "Payout %(payout)s is %(amount)s EUR; one SEPA transfer carries at most "
            "999999999.99 EUR."
        ) % {
            "payout": instruction.payout_id,
            "amount": format_decimal(instruction.amount, minor_units(SEPA_CURRENCY)),
        }
    country = instruction.iban[:2]
    if country not in SEPA_COUNTRIES:
        return _("Payout %(payout)s goes to an account in %(country)s, which is outside SEPA.") % {
            "payout": instruction.payout_id,
            "country": country,
        }
    if sepa_name(instruction.name) is None:
        return _(
            "Payout %(payout)s: the name %(name)r has no letters that SEPA can carry; "
            "write it in Latin, Cyrillic or Greek letters."
        ) % {"payout": instruction.payout_id, "name": instruction.name}
    return None


_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def without_controls(text: str) -> str:
    """``text`` without control, format (bidi overrides and isolates, zero-width characters),
    surrogate, private-use and unassigned characters, nor line or paragraph separators; tabs and
    line breaks become spaces, runs of white space one space."""
    kept = (
        " " if character in "\t\n\r\x0b\x0c" else character
        for character in text
        if character in "\t\n\r\x0b\x0c"
        or unicodedata.category(character) not in _CONTROL_CATEGORIES
    )
    return " ".join("".join(kept).split())


def _csv_cell(value: str) -> str:
    return escape_formula(without_controls(value))


def payout_csv(batch: BatchFile) -> bytes:
    """The batch as CSV (format above): a header line and one row per instruction."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for instruction in batch.instructions:
        row = (
            str(instruction.payout_id),
            instruction.idempotency_key,
            instruction.member_id,
            instruction.name,
            instruction.iban,
            instruction.bic,
            format_decimal(instruction.amount, minor_units(instruction.currency)),
            instruction.currency,
            instruction.reference,
        )
        writer.writerow([_csv_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def _element(
    parent: ET.Element, path: str, text: str | None = None, **attributes: str
) -> ET.Element:
    """Append the chain of elements ``path`` ("A/B/C") under ``parent``; return the last one."""
    element = parent
    for tag in path.split("/"):
        element = ET.SubElement(element, tag)
    if text is not None:
        element.text = text
    element.attrib.update(attributes)
    return element


def _euros(amount: int) -> str:
    return format_decimal(amount, minor_units(SEPA_CURRENCY))


def sepa_pain001(batch: BatchFile) -> bytes:
    """The batch as one ISO 20022 pain.001.001.09 SEPA credit transfer initiation (UTF-8 XML).

    ``MsgId`` and ``PmtInfId`` are the batch id; ``InstrId`` and ``EndToEndId`` are each
    instruction's idempotency key; ``CtrlSum`` is the exact sum of the amounts. Raises
    :class:`PayoutFileError` naming the first payout that SEPA cannot carry; nothing is
    returned then.
    """
    for instruction in batch.instructions:
        problem = sepa_problem(instruction)
        if problem:
            raise PayoutFileError(problem, field="instructions")
    if batch.debtor is None:
        raise PayoutFileError(
            _("A SEPA file needs the paying account (name, IBAN, BIC)."), field="debtor"
        )
    debtor_name = sepa_name(batch.debtor.name)
    if debtor_name is None:
        raise PayoutFileError(
            _("The paying account's name %(name)r has no letters that SEPA can carry.")
            % {"name": batch.debtor.name},
            field="debtor",
        )
    count = str(len(batch.instructions))
    control_sum = _euros(sum(instruction.amount for instruction in batch.instructions))

    # Tags are written unqualified under a default namespace declared on the root (ElementTree's
    # default_namespace option cannot write the unqualified Ccy attribute).
    document = ET.Element("Document", xmlns=PAIN_001_NAMESPACE)
    initiation = _element(document, "CstmrCdtTrfInitn")
    header = _element(initiation, "GrpHdr")
    _element(header, "MsgId", batch.batch_id)
    _element(header, "CreDtTm", batch.created_at.isoformat(timespec="seconds"))
    _element(header, "NbOfTxs", count)
    _element(header, "CtrlSum", control_sum)
    _element(header, "InitgPty/Nm", debtor_name)

    payment = _element(initiation, "PmtInf")
    _element(payment, "PmtInfId", batch.batch_id)
    _element(payment, "PmtMtd", "TRF")
    _element(payment, "BtchBookg", "true")
    _element(payment, "NbOfTxs", count)
    _element(payment, "CtrlSum", control_sum)
    _element(payment, "PmtTpInf/SvcLvl/Cd", "SEPA")
    _element(payment, "ReqdExctnDt/Dt", batch.execution_date.isoformat())
    debtor = _element(payment, "Dbtr")
    _element(debtor, "Nm", debtor_name)
    if batch.debtor.country:
        _element(debtor, "PstlAdr/Ctry", batch.debtor.country)
    _element(payment, "DbtrAcct/Id/IBAN", batch.debtor.iban)
    _element(payment, "DbtrAgt/FinInstnId/BICFI", batch.debtor.bic)
    _element(payment, "ChrgBr", "SLEV")

    for instruction in batch.instructions:
        transfer = _element(payment, "CdtTrfTxInf")
        payment_id = _element(transfer, "PmtId")
        _element(payment_id, "InstrId", instruction.idempotency_key)
        _element(payment_id, "EndToEndId", instruction.idempotency_key)
        _element(transfer, "Amt/InstdAmt", _euros(instruction.amount), Ccy=SEPA_CURRENCY)
        if instruction.bic:
            _element(transfer, "CdtrAgt/FinInstnId/BICFI", instruction.bic)
        _element(transfer, "Cdtr/Nm", sepa_name(instruction.name))
        _element(transfer, "CdtrAcct/Id/IBAN", instruction.iban)
        reference = sepa_text(instruction.reference, SEPA_REMITTANCE_LENGTH)
        if reference:
            _element(transfer, "RmtInf/Ustrd", reference)

    ET.indent(document)
    body = ET.tostring(document, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()
