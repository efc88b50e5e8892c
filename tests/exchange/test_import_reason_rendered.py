"""An import records each new member's ``ENROLLED`` reason as a key with the file's name (bulk
insert on SQLite, binary COPY on PostgreSQL), shown in the reader's language."""

from __future__ import annotations

from django.utils import translation

from downline.exchange.importing import import_files
from downline.genealogy.models import StructureEvent

from .conftest import NETWORK


def test_imported_members_carry_the_reason_key_and_file(db, files):
    import_files(distributors=files("distributors.csv", NETWORK))
    events = StructureEvent.objects.filter(kind=StructureEvent.Kind.ENROLLED).order_by("id")
    assert events.count() == 5
    for event in events:
        assert event.reason == "Imported from distributors.csv"
        assert event.reason_key == "genealogy.imported"
        assert event.reason_params == {"file": "distributors.csv"}
    with translation.override("pl"):
        assert events[0].reason_text == "Zaimportowano z distributors.csv"
