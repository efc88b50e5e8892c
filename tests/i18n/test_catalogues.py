"""The interface ships complete in Russian, Polish and German.

Every string the code marks for translation is in each catalogue, translated, not fuzzy, with
the same placeholders as the English text; the compiled catalogues match their sources; and the
running program speaks the language asked for.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

import downline
from downline.i18n import use_language

PACKAGE = Path(downline.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
LANGUAGES = ("ru", "pl", "de")
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sdrif]|%[sdrif]|\{\w*\}")


def _unquote(block: list[str]) -> str:
    return "".join(ast.literal_eval(part) for part in block)


def read_po(path: Path) -> dict[str, dict]:
    """msgid → {"plural": msgid_plural, "strings": [msgstr…], "fuzzy": bool} (header left out)."""
    entries: dict[str, dict] = {}
    for chunk in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in chunk.splitlines() if line and not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$', line)
            if match:
                current = match[1]
                fields[current] = [match[2]]
            elif line.startswith('"') and current:
                fields[current].append(line)
        if "msgid" not in fields:
            continue
        msgid = _unquote(fields["msgid"])
        if not msgid:
            continue
        strings = [
            _unquote(value) for key, value in sorted(fields.items()) if key.startswith("msgstr")
        ]
        entries[msgid] = {
            "plural": _unquote(fields["msgid_plural"]) if "msgid_plural" in fields else None,
            "strings": strings,
            "fuzzy": fuzzy,
        }
    return entries


def marked_strings() -> set[str]:
    """Every literal the Python code passes to a gettext function, and every template string."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            if (
                name in GETTEXT_NAMES
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                found.add(first.value)
    for path in PACKAGE.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        # the template tag stores a literal % as %% in the catalogue
        found.update(
            msgid.replace("%", "%%")
            for msgid in re.findall(r'{%\s*(?:translate|trans)\s+"([^"]+)"', text)
        )
    return found


@pytest.fixture(scope="module", params=LANGUAGES)
def catalogue(request):
    return request.param, read_po(LOCALE / request.param / "LC_MESSAGES" / "django.po")


def test_every_marked_string_is_in_the_catalogue(catalogue):
    language, entries = catalogue
    missing = sorted(marked_strings() - entries.keys())
    assert not missing, f"{language}: not in the catalogue (run makemessages): {missing[:10]}"


def test_every_entry_is_translated_and_not_fuzzy(catalogue):
    language, entries = catalogue
    untranslated = [msgid for msgid, entry in entries.items() if not all(entry["strings"])]
    fuzzy = [msgid for msgid, entry in entries.items() if entry["fuzzy"]]
    assert not untranslated, f"{language}: untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{language}: fuzzy: {fuzzy[:10]}"


def test_translations_keep_every_placeholder(catalogue):
    language, entries = catalogue
    wrong = []
    for msgid, entry in entries.items():
        expected = set(PLACEHOLDER.findall(msgid))
        # a plural form may use what the English plural uses (the number), or spell it out
        allowed = expected | set(PLACEHOLDER.findall(entry["plural"] or ""))
        for translated in entry["strings"]:
            got = set(PLACEHOLDER.findall(translated))
            if got != expected and not (entry["plural"] and got <= allowed):
                wrong.append((msgid, translated))
    assert not wrong, f"{language}: placeholders differ: {wrong[:5]}"


def test_the_compiled_catalogue_matches_its_source(catalogue):
    language, entries = catalogue
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for msgid, entry in entries.items():
        if entry["plural"]:
            got = compiled.ngettext(msgid, entry["plural"], 1)
            if got not in entry["strings"]:
                stale.append(msgid)
        elif compiled.gettext(msgid) != entry["strings"][0]:
            stale.append(msgid)
    assert not stale, f"{language}: run compilemessages; stale: {stale[:5]}"


def test_the_command_line_speaks_the_language_asked_for():
    from downline.dataset import PlacementShape
    from downline.dataset.csv_io import DatasetError, network_from_text

    bad = "id,sponsor_id,placement_id,placement_position,joined_on,status,kind\nA,,,,2026-13-01,active,distributor\n"
    messages = {}
    for language in ("en", "ru", "pl", "de"):
        with use_language(language), pytest.raises(DatasetError) as raised:
            network_from_text(bad, shape=PlacementShape("binary"))
        messages[language] = raised.value.errors[0].message
    assert messages["en"] == "'2026-13-01' is not a date written YYYY-MM-DD"
    assert len(set(messages.values())) == 4
    assert all("'2026-13-01'" in text and "YYYY-MM-DD" in text for text in messages.values())


@pytest.mark.django_db
def test_the_admin_speaks_the_language_of_the_request(admin_client):
    english = admin_client.get("/admin/genealogy/distributor/", HTTP_ACCEPT_LANGUAGE="en")
    german = admin_client.get("/admin/genealogy/distributor/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Select distributor to view" in english.text
    assert "Select distributor to view" not in german.text
    assert "Vertriebspartner" in german.text
