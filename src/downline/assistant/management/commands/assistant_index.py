"""Build the assistant's index of every language now (embedding and caching the passages'
vectors), so the first question after a deployment or a content change is answered fast."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from downline.assistant import retrieval
from downline.assistant.documents import LANGUAGES


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options) -> None:
        for language in LANGUAGES:
            started = time.perf_counter()
            index = retrieval.index_for(language)
            self.stdout.write(
                f"{language}: {len(index.docs)} documents, {len(index.passages)} passages,"
                f" vectors {'yes' if index.vectors is not None else 'no'},"
                f" {time.perf_counter() - started:.1f} s"
            )
