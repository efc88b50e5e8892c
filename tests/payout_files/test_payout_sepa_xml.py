"""The SEPA credit transfer file (pain.001.001.09): structure, exact sums, keys, characters."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from importlib import resources

import pytest
from payout_samples import BRAZILIAN_IBAN, BRITISH_IBAN, POLISH_IBAN, batch, instruction

from downline.money import parse_decimal
from downline.payouts.files import PAIN_001_NAMESPACE, sepa_pain001
from downline.payouts.instructions import PayoutFileError

NS = {"p": PAIN_001_NAMESPACE}
SEPA_CHARACTERS = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]*$")


def _parse(content: bytes) -> ET.Element:
    return ET.fromstring(content)


def _children(element: ET.Element) -> list[str]:
    return [child.tag.removeprefix(f"{{{PAIN_001_NAMESPACE}}}") for child in element]


def _mixed_batch():
    return batch(
        instruction(1, amount=10),
        instruction(2, amount=20, name="Юлия Щукина", iban=POLISH_IBAN, bic=""),
        instruction(
            3, amount=99_999_999_999, name="Jürgen Groß", iban=BRITISH_IBAN, bic="NWBKGB2L"
        ),
        instruction(4, amount=1, name="Łukasz Wąsowski", reference="Prowizja październik"),
    )


def test_the_document_is_a_customer_credit_transfer_initiation_in_the_09_namespace():
    root = _parse(sepa_pain001(_mixed_batch()))
    assert root.tag == f"{{{PAIN_001_NAMESPACE}}}Document"
    assert _children(root) == ["CstmrCdtTrfInitn"]
    assert _children(root[0]) == ["GrpHdr", "PmtInf"]


def test_required_elements_come_in_schema_order():
    root = _parse(sepa_pain001(_mixed_batch()))
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert _children(header) == ["MsgId", "CreDtTm", "NbOfTxs", "CtrlSum", "InitgPty"]
    payment = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert _children(payment) == [
        "PmtInfId", "PmtMtd", "BtchBookg", "NbOfTxs", "CtrlSum", "PmtTpInf", "ReqdExctnDt",
        "Dbtr", "DbtrAcct", "DbtrAgt", "ChrgBr",
        "CdtTrfTxInf", "CdtTrfTxInf", "CdtTrfTxInf", "CdtTrfTxInf",
    ]  # fmt: skip
    first, second = payment.findall("p:CdtTrfTxInf", NS)[:2]
    assert _children(first) == ["PmtId", "Amt", "CdtrAgt", "Cdtr", "CdtrAcct", "RmtInf"]
    assert _children(second) == ["PmtId", "Amt", "Cdtr", "CdtrAcct", "RmtInf"]  # no BIC given
    assert _children(first.find("p:PmtId", NS)) == ["InstrId", "EndToEndId"]
    assert payment.findtext("p:PmtMtd", namespaces=NS) == "TRF"
    assert payment.findtext("p:PmtTpInf/p:SvcLvl/p:Cd", namespaces=NS) == "SEPA"
    assert payment.findtext("p:ChrgBr", namespaces=NS) == "SLEV"
    assert payment.findtext("p:ReqdExctnDt/p:Dt", namespaces=NS) == "2026-11-03"
    assert payment.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "DE89370400440532013000"
    assert payment.findtext("p:DbtrAgt/p:FinInstnId/p:BICFI", namespaces=NS) == "COBADEFFXXX"
    assert header.findtext("p:CreDtTm", namespaces=NS) == "2026-11-02T09:30:15+00:00"


def test_counts_and_control_sums_are_exact():
    sample = _mixed_batch()
    root = _parse(sepa_pain001(sample))
    expected = sum(i.amount for i in sample.instructions)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    payment = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    amounts = [parse_decimal(element.text, 2) for element in payment.iterfind(".//p:InstdAmt", NS)]
    assert amounts == [i.amount for i in sample.instructions]
    for block in (header, payment):
        assert block.findtext("p:NbOfTxs", namespaces=NS) == "4"
        assert parse_decimal(block.findtext("p:CtrlSum", namespaces=NS), 2) == expected
    assert header.findtext("p:CtrlSum", namespaces=NS) == "1000000000.30"
    currencies = {element.get("Ccy") for element in payment.iterfind(".//p:InstdAmt", NS)}
    assert currencies == {"EUR"}


def test_a_float_sum_of_cents_would_drift_but_the_file_does_not():
    cents = [10] * 3 + [20] * 7
    assert sum(c / 100 for c in cents) != 1.70  # why amounts never pass through floats
    root = _parse(sepa_pain001(batch(*(instruction(n + 1, amount=a) for n, a in enumerate(cents)))))
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=NS) == "1.70"


def test_end_to_end_ids_are_the_idempotency_keys():
    sample = _mixed_batch()
    payment = _parse(sepa_pain001(sample)).find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    keys = [i.idempotency_key for i in sample.instructions]
    assert [e.text for e in payment.iterfind("p:CdtTrfTxInf/p:PmtId/p:EndToEndId", NS)] == keys
    assert [e.text for e in payment.iterfind("p:CdtTrfTxInf/p:PmtId/p:InstrId", NS)] == keys


def test_names_and_references_are_written_in_sepa_latin_characters():
    sample = batch(
        instruction(1, name="Юлия Щукина", reference="Комиссия за октябрь"),
        instruction(2, name="Łukasz Wąsowski-Żółć", reference="Prowizja październik"),
        instruction(3, name="Jürgen Groß & Söhne", reference="Provision für Oktober"),
        instruction(4, name="ШИШКИН ИВАН", reference='Bonus <"gold"> 100%'),
        instruction(5, name="Παπαδόπουλος Γιώργος", reference="Bonus"),
    )
    payment = _parse(sepa_pain001(sample)).find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    names = [e.text for e in payment.iterfind("p:CdtTrfTxInf/p:Cdtr/p:Nm", NS)]
    references = [e.text for e in payment.iterfind("p:CdtTrfTxInf/p:RmtInf/p:Ustrd", NS)]
    assert names == [
        "Iuliia Shchukina",
        "Lukasz Wasowski-Zolc",
        "Juergen Gross + Soehne",
        "SHISHKIN IVAN",
        "Papadopoulos Giorgos",
    ]
    assert references[:3] == [
        "Komissiia za oktiabr",
        "Prowizja pazdziernik",
        "Provision fuer Oktober",
    ]
    assert references[3] == "Bonus 'gold' 100"
    for text in names + references:
        assert SEPA_CHARACTERS.match(text), text


def test_long_names_and_references_are_cut_to_the_sepa_limits():
    sample = batch(instruction(1, name="Anna " + "Maria " * 20, reference="R" * 200))
    payment = _parse(sepa_pain001(sample)).find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert len(payment.findtext("p:CdtTrfTxInf/p:Cdtr/p:Nm", namespaces=NS)) <= 70
    assert payment.findtext("p:CdtTrfTxInf/p:RmtInf/p:Ustrd", namespaces=NS) == "R" * 140


def test_a_payout_in_another_currency_is_refused_by_name():
    sample = batch(instruction(1), instruction(2, currency="PLN", iban=POLISH_IBAN))
    with pytest.raises(
        PayoutFileError, match="Payout 2 is in PLN; a SEPA transfer pays in EUR only"
    ):
        sepa_pain001(sample)


def test_an_account_outside_sepa_is_refused_by_name():
    sample = batch(instruction(7, iban=BRAZILIAN_IBAN, bic=""))
    with pytest.raises(PayoutFileError, match="Payout 7 goes to an account in BR"):
        sepa_pain001(sample)


def test_a_name_without_latin_or_cyrillic_letters_is_refused():
    with pytest.raises(PayoutFileError, match="Payout 3: the name '王小明'"):
        sepa_pain001(batch(instruction(3, name="王小明")))


def test_the_same_batch_gives_the_same_bytes():
    assert sepa_pain001(_mixed_batch()) == sepa_pain001(_mixed_batch())
    assert sepa_pain001(_mixed_batch()).startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_the_file_validates_against_the_iso_20022_schema():
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is a dev dependency")
    pytest.importorskip("sepaxml", reason="sepaxml ships the ISO 20022 pain.001.001.09 XSD")
    xsd = resources.files("sepaxml") / "schemas" / "pain.001.001.09.xsd"
    schema = xmlschema.XMLSchema(xsd.read_text(encoding="utf-8"))
    schema.validate(sepa_pain001(_mixed_batch()).decode("utf-8"))
    schema.validate(sepa_pain001(batch(instruction(1, bic="", reference=""))).decode("utf-8"))
    company_without_country = batch().debtor.__class__(
        name="Ōkami Ltd", iban=BRITISH_IBAN, bic="NWBKGB2L"
    )
    schema.validate(sepa_pain001(batch(debtor=company_without_country)).decode("utf-8"))
    broken = sepa_pain001(_mixed_batch()).replace(b"<PmtMtd>TRF", b"<PmtMtd>XYZ")
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate(broken.decode("utf-8"))


def test_an_amount_above_the_sepa_maximum_is_refused():
    with pytest.raises(PayoutFileError, match=r"Payout 5 is 1000000000\.00 EUR"):
        sepa_pain001(batch(instruction(5, amount=100_000_000_000)))
