"""Fixtures for the network tests: a builder that enrolls members through ``do_enroll``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from downline.genealogy.actions import do_enroll
from downline.genealogy.models import Distributor

JOINED = date(2026, 1, 5)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def binary_placement(settings):
    """Every test runs on a binary placement tree unless it asks for another shape."""
    settings.DOWNLINE_PLACEMENT = "binary"
    settings.DOWNLINE_MATRIX_WIDTH = 3


@pytest.fixture
def matrix3(settings):
    settings.DOWNLINE_PLACEMENT = "matrix"
    settings.DOWNLINE_MATRIX_WIDTH = 3


@pytest.fixture
def unilevel(settings):
    settings.DOWNLINE_PLACEMENT = "unilevel"


class Network:
    """Enrolls members through ``do_enroll`` and reads them back fresh by member id.

    Enrollments take effect one minute apart from ``T0`` unless given ``effective_at``, so
    tests can place later changes at known instants after them.
    """

    def __init__(self) -> None:
        self.clock = T0

    def tick(self, minutes: int = 1) -> datetime:
        self.clock += timedelta(minutes=minutes)
        return self.clock

    def enroll(self, member_id: str, sponsor: str | None = None, **options: Any) -> Distributor:
        options.setdefault("joined_on", JOINED)
        options.setdefault("effective_at", self.tick())
        return do_enroll(member_id=member_id, sponsor=sponsor, **options)

    def many(self, sponsor: str, *member_ids: str, **options: Any) -> None:
        for member_id in member_ids:
            self.enroll(member_id, sponsor, **options)

    def __getitem__(self, member_id: str) -> Distributor:
        return Distributor.objects.get(member_id=member_id)

    def slot(self, member_id: str) -> tuple[str | None, int | None]:
        """(placement parent's member id, position) of a member."""
        member = Distributor.objects.select_related("placement_parent").get(member_id=member_id)
        parent = member.placement_parent
        return (parent.member_id if parent else None, member.placement_position)

    def counts(self, member_id: str) -> tuple[int, int]:
        """(enrollment_downline, placement_downline)."""
        member = self[member_id]
        return member.enrollment_downline, member.placement_downline


@pytest.fixture
def net(db) -> Network:
    return Network()


def messages_of(error: Exception) -> str:
    """All messages of a ValidationError, joined, for assertions on their wording."""
    return " ".join(getattr(error, "messages", [str(error)]))
