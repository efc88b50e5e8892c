"""IBAN and BIC checks (ISO 13616, ISO 9362), pure Python.

An IBAN is written normalised: whitespace removed, upper case. It is valid when

1. it has only letters and digits and starts with a country code that uses IBANs,
2. its length is the length the SWIFT IBAN registry gives for that country, and its national
   part (BBAN) has the registry's structure (``n`` digits, ``a`` letters, ``c`` either),
3. ISO 7064 MOD 97-10 holds: move the first four characters to the end, write each letter as
   two digits (A = 10 … Z = 35); the number modulo 97 must be 1.

A BIC (ISO 9362) is 8 or 11 characters: 4 for the institution (letters or digits), 2 letters
for the country, 2 letters or digits for the location, and optionally 3 for the branch; this
is the pattern of ``BICFIDec2014Identifier`` in ISO 20022.

The ``*_problem`` functions return a translated sentence that says what is wrong, or ``None``.
"""

from __future__ import annotations

import re
from functools import cache

from downline.i18n import gettext as _
from downline.i18n import ngettext

# BBAN structure per country, from the SWIFT IBAN registry: "<count>!<kind>" parts, kind
# n = digits, a = upper-case letters, c = letters or digits. The IBAN's length is 4 + the BBAN's.
BBAN_FORMATS: dict[str, str] = {
    "AD": "4!n4!n12!c", "AE": "3!n16!n", "AL": "8!n16!c", "AT": "5!n11!n", "AX": "3!n11!n",
    "AZ": "4!a20!c", "BA": "3!n3!n8!n2!n", "BE": "3!n7!n2!n", "BG": "4!a4!n2!n8!c",
    "BH": "4!a14!c", "BI": "5!n5!n11!n2!n", "BL": "5!n5!n11!c2!n", "BR": "8!c5!n10!n1!c1!c",
    "BY": "4!c4!n16!c", "CH": "5!n12!c", "CR": "4!n14!n", "CY": "3!n5!n16!c", "CZ": "4!n6!n10!n",
    "DE": "8!n10!n", "DJ": "23!n", "DK": "4!n9!n1!n", "DO": "4!c20!n", "EE": "2!n2!n11!n1!n",
    "EG": "4!n4!n17!n", "ES": "4!n4!n1!n1!n10!n", "FI": "3!n11!n", "FK": "2!a12!n",
    "FO": "4!n9!n1!n", "FR": "5!n5!n11!c2!n", "GB": "4!a6!n8!n", "GE": "2!a16!n",
    "GF": "5!n5!n11!c2!n", "GG": "4!a6!n8!n", "GI": "4!a15!c", "GL": "4!n9!n1!n",
    "GP": "5!n5!n11!c2!n", "GR": "3!n4!n16!c", "GT": "4!c20!c", "HN": "4!a20!n", "HR": "7!n10!n",
    "HU": "3!n4!n1!n15!n1!n", "IE": "4!a6!n8!n", "IL": "3!n3!n13!n", "IM": "4!a6!n8!n",
    "IQ": "4!a3!n12!n", "IS": "4!n2!n6!n10!n", "IT": "1!a5!n5!n12!c", "JE": "4!a6!n8!n",
    "JO": "4!a4!n18!c", "KW": "4!a22!c", "KZ": "3!n13!c", "LB": "4!n20!c", "LC": "4!a24!c",
    "LI": "5!n12!c", "LT": "5!n11!n", "LU": "3!n13!c", "LV": "4!a13!c", "LY": "3!n3!n15!n",
    "MC": "5!n5!n11!c2!n", "MD": "2!c18!c", "ME": "3!n13!n2!n", "MF": "5!n5!n11!c2!n",
    "MK": "3!n10!c2!n", "MN": "4!n12!n", "MQ": "5!n5!n11!c2!n", "MR": "5!n5!n11!n2!n",
    "MT": "4!a5!n18!c", "MU": "4!a2!n2!n12!n3!n3!a", "NC": "5!n5!n11!c2!n", "NI": "4!a20!n",
    "NL": "4!a10!n", "NO": "4!n6!n1!n", "OM": "3!n16!c", "PF": "5!n5!n11!c2!n", "PK": "4!a16!c",
    "PL": "8!n16!n", "PM": "5!n5!n11!c2!n", "PS": "4!a21!c", "PT": "4!n4!n11!n2!n",
    "QA": "4!a21!c", "RE": "5!n5!n11!c2!n", "RO": "4!a16!c", "RS": "3!n13!n2!n",
    "RU": "9!n5!n15!c", "SA": "2!n18!c", "SC": "4!a2!n2!n16!n3!a", "SD": "2!n12!n",
    "SE": "3!n16!n1!n", "SI": "5!n8!n2!n", "SK": "4!n6!n10!n", "SM": "1!a5!n5!n12!c",
    "SO": "4!n3!n12!n", "ST": "4!n4!n11!n2!n", "SV": "4!a20!n", "TF": "5!n5!n11!c2!n",
    "TL": "3!n14!n2!n", "TN": "2!n3!n13!n2!n", "TR": "5!n1!n16!c", "UA": "6!n19!c",
    "VA": "3!n15!n", "VG": "4!a16!n", "WF": "5!n5!n11!c2!n", "XK": "4!n10!n2!n",
    "YE": "4!a4!n18!c", "YT": "5!n5!n11!c2!n",
}  # fmt: skip

# Countries and territories in the geographical scope of the SEPA schemes (EPC409-09): the EU
# and EEA, Switzerland, the United Kingdom, Monaco, San Marino, Vatican City, Andorra,
# Gibraltar, Guernsey, Jersey, the Isle of Man, Albania, Moldova, Montenegro and North
# Macedonia, and the territories in scope with IBAN prefixes of their own: Åland (AX) and the
# French overseas departments and collectivities (BL, GF, GP, MF, MQ, PM, RE, YT).
SEPA_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
        "IS", "LI", "NO", "CH", "GB", "MC", "SM", "VA", "AD", "GI", "GG", "JE", "IM",
        "AL", "MD", "ME", "MK",
        "AX", "BL", "GF", "GP", "MF", "MQ", "PM", "RE", "YT",
    }
)  # fmt: skip

_KIND = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
_PART = re.compile(r"(\d+)!([nac])")
_BIC = re.compile(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_SPACES = re.compile(r"\s+")
_NOT_LETTER_OR_DIGIT = re.compile(r"[^A-Z0-9]")


def iban_length(country: str) -> int | None:
    """The length of an IBAN from ``country`` (ISO 3166 alpha-2), ``None`` if it has none."""
    bban = BBAN_FORMATS.get(country)
    if bban is None:
        return None
    return 4 + sum(int(count) for count, _kind in _PART.findall(bban))


@cache
def _bban_pattern(country: str) -> re.Pattern[str]:
    parts = _PART.findall(BBAN_FORMATS[country])
    return re.compile("".join(f"{_KIND[kind]}{{{count}}}" for count, kind in parts))


def _describe_bban(country: str) -> str:
    """``8 digits, 10 digits`` for DE: the registry's parts in words."""
    words = []
    for count, kind in _PART.findall(BBAN_FORMATS[country]):
        number = int(count)
        if kind == "n":
            word = ngettext("%(count)d digit", "%(count)d digits", number)
        elif kind == "a":
            word = ngettext("%(count)d letter", "%(count)d letters", number)
        else:
            word = ngettext("%(count)d letter or digit", "%(count)d letters or digits", number)
        words.append(word % {"count": number})
    return ", ".join(words)


def normalize_iban(value: str) -> str:
    """``value`` with all whitespace removed, in upper case."""
    return _SPACES.sub("", value).upper()


def normalize_bic(value: str) -> str:
    """``value`` with all whitespace removed, in upper case."""
    return _SPACES.sub("", value).upper()


def iban_checksum_ok(iban: str) -> bool:
    """ISO 7064 MOD 97-10 over a normalised IBAN of letters and digits."""
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(character, 36)) for character in rearranged)
    return int(number) % 97 == 1


def iban_problem(value: str) -> str | None:
    """Why ``value`` is not a valid IBAN, or ``None`` when it is (after normalising)."""
    iban = normalize_iban(value)
    if not iban:
        return _("The IBAN is empty.")
    bad = _NOT_LETTER_OR_DIGIT.search(iban)
    if bad is not None:
        return _("The IBAN contains %(character)r; only letters A-Z and digits are allowed.") % {
            "character": bad[0]
        }
    country = iban[:2]
    if not re.fullmatch(r"[A-Z]{2}", country):
        return _("An IBAN starts with a two-letter country code, not %(start)r.") % {
            "start": country
        }
    expected = iban_length(country)
    if expected is None:
        return _("%(country)s is not a country that uses IBANs.") % {"country": country}
    if len(iban) != expected:
        return _(
            "An IBAN from %(country)s has %(expected)d characters; this one has %(actual)d."
        ) % {"country": country, "expected": expected, "actual": len(iban)}
    if not iban[2:4].isdigit():
        return _("The IBAN's check digits (characters 3 and 4) must be digits, not %(digits)r.") % {
            "digits": iban[2:4]
        }
    if not _bban_pattern(country).fullmatch(iban[4:]):
        return _("After its first 4 characters, an IBAN from %(country)s has %(structure)s.") % {
            "country": country,
            "structure": _describe_bban(country),
        }
    if not iban_checksum_ok(iban):
        return _("The IBAN's check digits do not match the rest of it: look for a typing error.")
    return None


def bic_problem(value: str) -> str | None:
    """Why ``value`` is not a valid BIC (ISO 9362), or ``None`` when it is (after normalising)."""
    bic = normalize_bic(value)
    if not bic:
        return _("The BIC is empty.")
    if len(bic) not in (8, 11):
        return _("A BIC has 8 or 11 characters; this one has %(length)d.") % {"length": len(bic)}
    bad = _NOT_LETTER_OR_DIGIT.search(bic)
    if bad is not None:
        return _("The BIC contains %(character)r; only letters A-Z and digits are allowed.") % {
            "character": bad[0]
        }
    if not _BIC.match(bic):
        return _(
            "Characters 5 and 6 of a BIC are its country code and must be letters, not %(country)r."
        ) % {"country": bic[4:6]}
    return None


def mask_iban(value: str) -> str:
    """``DE89 **** 3000``: country, check digits and the last 4 characters; the rest hidden."""
    iban = normalize_iban(value)
    if len(iban) < 12:
        return "****"
    return f"{iban[:4]} **** {iban[-4:]}"
