"""The statement's trace is rendered for the reader: a Russian reader of a run started in
English reads its sentences in Russian, an English reader in English, from the same stored
numbers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from downline.compensation.models import RunResult, RunTrace


@pytest.fixture
def alice(client, settled):
    client.force_login(settled.team.alice_user)
    return client


def statement_trace(client, language: str) -> dict:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("web:statement", args=["2026-08"]))
    assert response.status_code == 200
    return response.context["s"].trace


def test_the_trace_speaks_the_readers_language(alice, settled):
    assert RunTrace.objects.filter(run=settled.august).exists()
    assert not RunResult.objects.filter(run=settled.august, trace__isnull=False).exists()
    english = statement_trace(alice, "en")
    russian = statement_trace(alice, "ru")
    # Alice misses Leader's PV: the sentence is rendered in each reader's language
    assert english["next_rank"]["missing"] == ["PV 0 of the 20 needed for Leader"]
    assert russian["next_rank"]["missing"] != english["next_rank"]["missing"]
    assert "20" in russian["next_rank"]["missing"][0]
    # the numbers are the same for both readers
    assert russian["ranks"] == english["ranks"]
    assert russian["volumes"] == english["volumes"]
