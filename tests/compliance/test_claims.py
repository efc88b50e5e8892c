"""The claim scanner in four languages: true positives, disguised spellings, clean texts,
the verdict order and the disclosures (``downline.compliance.claims``)."""

from __future__ import annotations

import pytest

from downline.compliance.claims import ClaimVerdict, lexicon, normalise, scan


def categories(text: str) -> set[str]:
    return {f.category for f in scan(text).findings}


@pytest.mark.parametrize(
    ("text", "verdict", "category"),
    [
        # English
        ("This tea cures cancer.", "block", "health"),
        ("Drink it daily #preventheartattack", "block", "health"),
        ("#PreventHeartAttack with our shake", "block", "health"),
        ("I made $10,000/month in my first year", "review", "income"),
        ("Earn 5k a week", "review", "income"),
        ("Guaranteed income from day one", "block", "income"),
        ("Finally: financial freedom!", "review", "income"),
        ("Fire your boss and drive your dream car", "review", "lifestyle"),
        ("Ground floor opportunity, get in early", "review", "recruiting"),
        ("Looking for extra income?", "disclose", "income"),
        # Russian
        ("Этот чай лечит рак", "block", "health"),
        ("Я зарабатываю 300 000 рублей в месяц", "review", "income"),
        ("Путь к финансовой свободе", "review", "income"),
        ("Гарантированный доход каждый месяц", "block", "income"),
        ("Машина мечты уже через год", "review", "lifestyle"),
        ("Ищете дополнительный доход?", "disclose", "income"),
        ("Ёжики и финансовая независимость", "review", "income"),
        # Polish
        ("Ten koktajl leczy raka", "block", "health"),
        ("Zarabiam 10 000 zł miesięcznie", "review", "income"),
        ("Wolność finansowa w rok", "review", "income"),
        ("Gwarantowany dochód dla każdego", "block", "income"),
        ("Rzuć pracę i bądź swoim własnym szefem", "review", "lifestyle"),
        ("Szukasz dodatkowy dochód?", "disclose", "income"),
        # German
        ("Das Produkt heilt Krebs", "block", "health"),
        ("Ich verdiene 5.000 € im Monat", "review", "income"),
        ("Finanzielle Freiheit für alle", "review", "income"),
        ("Garantiertes Einkommen ab dem ersten Tag", "block", "income"),
        ("Sei dein eigener Chef und fahr dein Traumauto", "review", "lifestyle"),
        ("Suchst du ein Nebeneinkommen?", "disclose", "income"),
    ],
)
def test_true_positives_in_four_languages(text, verdict, category):
    result = scan(text)
    assert result.verdict == verdict, result.findings
    assert category in {f.category for f in result.findings}
    for finding in result.findings:  # offsets point into the original text
        assert text[finding.start : finding.end] == finding.phrase
        assert finding.phrase.strip()


@pytest.mark.parametrize(
    ("text", "verdict", "how"),
    [
        ("This tea c-u-r-e-s everything", "block", "obfuscated"),
        ("It c u r e s anything", "block", "obfuscated"),
        ("Quit your j0b today", "review", "obfuscated"),
        ("Get r1ch with us", "review", "obfuscated"),
        ("Это лeчит рaк", "block", "obfuscated"),  # Latin e and a inside Russian words
        ("Finacial freedom is near", "review", "fuzzy"),
        ("Guarenteed income!", "block", "fuzzy"),
        ("Wolnosc finansowa bez pracy", "review", "exact"),  # without the diacritics
        ("Garantiertes Einkommn", "block", "fuzzy"),
        ("Pasywny dochód", "review", "exact"),
        ("Fi\u200bnancial free\u200bdom", "review", "exact"),  # zero-width characters
        ("#financial_freedom", "review", "exact"),
    ],
)
def test_disguised_and_misspelled_claims(text, verdict, how):
    result = scan(text)
    assert result.verdict == verdict, result.findings
    assert how in {f.how for f in result.findings}


@pytest.mark.parametrize(
    "text",
    [
        "Nice morning walk with my family; the green tea tastes great.",
        "Our webinar starts at 19:00 — bring a friend and a cup of tea.",
        "Secure packaging, curious flavours, a healthy breakfast.",
        "We are 10 people in the team and 3 of us joined in May.",
        "Доброе утро! Сегодня пробуем новый вкус зелёного чая.",
        "Вебинар в 19:00, приходите с друзьями.",
        "Cudowny dzień w Krakowie, pijemy herbatę.",
        "Spotkanie w czwartek o 18:00 w biurze.",
        "Wunderbar! Ein wunderschöner Tag am See.",
        "Das Treffen ist am Donnerstag um 18 Uhr.",
        "",
    ],
)
def test_clean_texts_pass(text):
    result = scan(text)
    assert result.verdict == ClaimVerdict.ALLOW, result.findings
    assert result.findings == []
    assert result.disclosure is None


def test_the_verdict_is_the_strictest_finding():
    disclose = scan("Looking for extra income?")
    review = scan("Looking for extra income? Financial freedom awaits.")
    block = scan("Looking for extra income? Financial freedom awaits. It cures cancer too.")
    assert [disclose.verdict, review.verdict, block.verdict] == ["disclose", "review", "block"]
    assert ClaimVerdict.ALLOW.rank < ClaimVerdict.DISCLOSE.rank < ClaimVerdict.REVIEW.rank
    assert ClaimVerdict.REVIEW.rank < ClaimVerdict.BLOCK.rank
    assert {f.severity for f in block.findings} == {"disclose", "review", "block"}
    assert block.strictest().category == "health"
    # the disclosure is named only when it is what the verdict asks for
    assert disclose.disclosure == "income_disclosure"
    assert review.disclosure is None
    assert review.disclosures == ("income_disclosure",)


def test_a_disclosure_already_in_the_text_satisfies_it():
    assert scan("Use my code TEA10 for 10% off").disclosure == "ad"
    for text in (
        "Use my code TEA10 #ad",
        "Mój kod rabatowy TEA10 #reklama",
        "Mein Rabattcode TEA #Werbung",
    ):
        result = scan(text)
        assert result.verdict == "allow", text
        assert result.findings
        assert all(f.satisfied for f in result.findings)
    # "#adventure" is not "#ad"
    assert scan("Use my code TEA10 #adventure").verdict == "disclose"
    joined = scan("Join my team! Typical earnings: see our income disclosure.")
    assert joined.verdict == "allow"


def test_several_languages_in_one_text_without_a_language():
    result = scan("Financial freedom! Финансовая свобода! Wolność finansowa! Finanzielle Freiheit!")
    assert {f.language for f in result.findings} == {"en", "ru", "pl", "de"}
    assert scan("лечит рак", language="en").verdict == "block"


def test_normalising_keeps_offsets_and_folds_letters():
    assert normalise("  ЁЛКА  Wolność   Straße ") == "елка wolnosc strasse"
    text = "Wir verdienen Geld im Schlaf"
    (finding,) = scan(text).findings
    assert finding.phrase == "Geld im Schlaf"
    assert finding.how == "exact"
    assert lexicon().size > 300
