"""The provider interface and the built-in SEPA bank-file provider: a key is paid at most once."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from payout_samples import BRAZILIAN_IBAN, batch, instruction

from downline.payouts.files import sepa_pain001
from downline.payouts.providers import (
    BankFileProvider,
    PayoutProvider,
    ProviderError,
    SubmissionStatus,
    get_provider,
    provider_names,
)


def _files(folder):
    return sorted(path.name for path in folder.glob("*.xml"))


def _journal(folder):
    return json.loads((folder / "journal.json").read_text(encoding="utf-8"))


@pytest.fixture
def provider(tmp_path) -> BankFileProvider:
    return get_provider("sepa-file", folder=tmp_path / "outbox")


def test_the_bank_file_provider_is_registered_and_keeps_the_interface(provider, tmp_path):
    assert "sepa-file" in provider_names()
    assert isinstance(provider, BankFileProvider)
    assert isinstance(provider, PayoutProvider)
    assert provider.name == "sepa-file"
    assert provider.folder == tmp_path / "outbox"


def test_an_unknown_provider_is_refused_listing_the_known_ones():
    with pytest.raises(ProviderError, match=r"no payment provider 'paypal'.*sepa-file"):
        get_provider("paypal")


def test_submitting_writes_one_pain001_file_and_accepts_every_payout(provider):
    sample = batch(instruction(1), instruction(2, amount=3_00))
    results = provider.submit(sample)
    assert [r.idempotency_key for r in results] == ["P1-B7", "P2-B7"]
    assert {r.status for r in results} == {SubmissionStatus.ACCEPTED}
    assert {r.provider_reference for r in results} == {"B7"}
    assert {r.failure_reason for r in results} == {""}
    assert _files(provider.folder) == ["B7.xml"]
    assert (provider.folder / "B7.xml").read_bytes() == sepa_pain001(sample)
    assert provider.status("P2-B7") == results[1]


def test_submitting_the_same_batch_again_writes_nothing_and_returns_the_same_results(provider):
    sample = batch(instruction(1), instruction(2))
    first = provider.submit(sample)
    written = (provider.folder / "B7.xml").read_bytes()
    journal = _journal(provider.folder)
    again = provider.submit(sample)
    assert again == first
    assert _files(provider.folder) == ["B7.xml"]
    assert (provider.folder / "B7.xml").read_bytes() == written
    assert _journal(provider.folder) == journal
    assert sorted(journal["submissions"]) == ["P1-B7", "P2-B7"]
    assert journal["files"] == {"B7": {"batch_id": "B7", "keys": ["P1-B7", "P2-B7"]}}


def test_simultaneous_submissions_of_one_batch_write_it_once(provider):
    sample = batch(*(instruction(n) for n in range(1, 21)))
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: provider.submit(sample), range(8)))
    assert all(outcome == outcomes[0] for outcome in outcomes)
    assert _files(provider.folder) == ["B7.xml"]
    assert len(_journal(provider.folder)["submissions"]) == 20


def test_payouts_added_to_a_submitted_batch_go_into_a_second_file_only_once(provider):
    provider.submit(batch(instruction(1)))
    grown = batch(instruction(1), instruction(2), instruction(3))
    results = provider.submit(grown)
    assert [r.provider_reference for r in results] == ["B7", "B7-R2", "B7-R2"]
    assert _files(provider.folder) == ["B7-R2.xml", "B7.xml"]
    second = (provider.folder / "B7-R2.xml").read_text(encoding="utf-8")
    assert "<EndToEndId>P1-B7</EndToEndId>" not in second
    assert "<EndToEndId>P2-B7</EndToEndId>" in second
    assert "<MsgId>B7-R2</MsgId>" in second
    provider.submit(grown)
    assert _files(provider.folder) == ["B7-R2.xml", "B7.xml"]


def test_a_payout_sepa_cannot_carry_fails_with_its_reason_and_the_others_are_written(provider):
    sample = batch(
        instruction(1),
        instruction(2, currency="USD"),
        instruction(3, iban=BRAZILIAN_IBAN, bic=""),
    )
    results = provider.submit(sample)
    assert [r.status for r in results] == [
        SubmissionStatus.ACCEPTED,
        SubmissionStatus.FAILED,
        SubmissionStatus.FAILED,
    ]
    assert "Payout 2 is in USD" in results[1].failure_reason
    assert "Payout 3 goes to an account in BR" in results[2].failure_reason
    content = (provider.folder / "B7.xml").read_text(encoding="utf-8")
    assert "<NbOfTxs>1</NbOfTxs>" in content
    assert "P2-B7" not in content
    assert provider.submit(sample) == results
    assert provider.status("P3-B7").status is SubmissionStatus.FAILED
    assert _files(provider.folder) == ["B7.xml"]


def test_a_batch_where_every_payout_fails_writes_no_file(provider):
    results = provider.submit(batch(instruction(1, currency="GBP")))
    assert results[0].status is SubmissionStatus.FAILED
    assert _files(provider.folder) == []


def test_a_key_reused_for_a_different_payment_is_refused_and_nothing_is_written(provider):
    provider.submit(batch(instruction(1)))
    journal = _journal(provider.folder)
    changed = batch(instruction(1, amount=99_00), instruction(2), batch_id="B8")
    with pytest.raises(ProviderError, match="Payout 1: the idempotency key P1-B7 was submitted"):
        provider.submit(changed)
    assert _files(provider.folder) == ["B7.xml"]
    assert _journal(provider.folder) == journal


def test_after_a_crash_before_the_journal_was_saved_the_same_file_is_written_again(provider):
    sample = batch(instruction(1), instruction(2))
    provider.submit(sample)
    written = (provider.folder / "B7.xml").read_bytes()
    (provider.folder / "journal.json").unlink()  # the state a crash after the file leaves
    provider.submit(sample)
    assert _files(provider.folder) == ["B7.xml"]
    assert (provider.folder / "B7.xml").read_bytes() == written


def test_the_status_of_an_unknown_key_is_an_error(provider):
    with pytest.raises(ProviderError, match="no payout with the idempotency key P9-B7"):
        provider.status("P9-B7")


def test_a_damaged_journal_is_reported_by_path(provider):
    provider.folder.mkdir(parents=True)
    (provider.folder / "journal.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ProviderError, match=r"journal\.json cannot be read"):
        provider.submit(batch())
    assert _files(provider.folder) == []
