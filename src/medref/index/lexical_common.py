"""Pieces every lexical backend shares: the state file and the query plan.

**State file.** Each index folder holds ``state.json``::

    {"backend": "tantivy", "schema": 2, "analyzer": "textnorm-v1+stem+stop", "watermark": 1234}

``watermark`` is the store's last applied ``passage_changes.seq``. The file is replaced
atomically (write a temporary file in the same folder, fsync, ``os.replace``) and only
*after* the backend has made its own changes durable, so a crash between the two leaves
the index ahead of its watermark; replaying those changes is harmless because ``add``
is an upsert and ``remove`` of a missing id is a no-op.

**Query plan.** :func:`plan` turns a :class:`~medref.index.base.LexicalQuery` into analysed
terms and phrases (see :mod:`medref.index.textnorm`). User text is only ever analysed,
never parsed, so query-syntax characters cannot reach a backend.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medref.errors import IndexNotReadyError
from medref.index.base import IndexedPassage, LexicalQuery
from medref.index.textnorm import DEFAULT, Analyzer

STATE_FILE = "state.json"
MAX_QUERY_TERMS = 256
MAX_PHRASES = 16
MAX_TERM_PHRASE = 6
REBUILD_HINT = "rebuild it with: medref index rebuild"


def read_state(folder: Path) -> dict[str, Any]:
    path = folder / STATE_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexNotReadyError(
            f"the lexical index state file {path} is unreadable ({exc}); {REBUILD_HINT}"
        ) from exc
    if not isinstance(data, dict):
        raise IndexNotReadyError(f"the lexical index state file {path} is not a JSON object; {REBUILD_HINT}")
    return data


def write_state(folder: Path, data: dict[str, Any]) -> None:
    """Replace ``state.json`` atomically (temp file + fsync + os.replace)."""
    fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / STATE_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable where the platform allows it
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def check_state(folder: Path, *, backend: str, analyzer: Analyzer, schema: int = 1) -> int:
    """Validate an existing state file against this backend, its schema version and the analyzer;
    return its watermark. (A state file without a schema version is version 1.)"""
    state = read_state(folder)
    if not state:
        return 0
    if state.get("backend", backend) != backend:
        raise IndexNotReadyError(
            f"the lexical index at {folder} was written by the {state.get('backend')!r} backend, "
            f"not {backend!r}; {REBUILD_HINT}"
        )
    if state.get("schema", 1) != schema:
        raise IndexNotReadyError(
            f"the lexical index at {folder} has {backend} schema version {state.get('schema', 1)!r}, "
            f"this version uses {schema}; {REBUILD_HINT}"
        )
    if state.get("analyzer", analyzer.signature) != analyzer.signature:
        raise IndexNotReadyError(
            f"the lexical index at {folder} was analysed with {state.get('analyzer')!r}, "
            f"this version uses {analyzer.signature!r}; {REBUILD_HINT}"
        )
    wm = state.get("watermark", 0)
    if not isinstance(wm, int) or wm < 0:
        raise IndexNotReadyError(f"the lexical index at {folder} has a bad watermark {wm!r}; {REBUILD_HINT}")
    return wm


class StateFile:
    """``state.json`` of one index, re-read when another process has replaced it.

    A long-lived reader (the web app) thus sees the watermark a separate ``medref ingest``
    or ``medref index sync`` committed, just as it sees that process's index changes.
    """

    def __init__(self, folder: Path, *, backend: str, analyzer: Analyzer, schema: int = 1) -> None:
        self.folder, self.backend, self.analyzer, self.schema = folder, backend, analyzer, schema
        self._stamp = self._stat()
        self._watermark = self._check()

    def _check(self) -> int:
        return check_state(self.folder, backend=self.backend, analyzer=self.analyzer, schema=self.schema)

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = (self.folder / STATE_FILE).stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    @property
    def watermark(self) -> int:
        stamp = self._stat()
        if stamp is not None and stamp != self._stamp:
            self._watermark = self._check()
            self._stamp = stamp
        return self._watermark

    def write(self, watermark: int) -> None:
        write_state(
            self.folder,
            {
                "backend": self.backend,
                "schema": self.schema,
                "analyzer": self.analyzer.signature,
                "watermark": int(watermark),
            },
        )
        self._watermark = int(watermark)
        self._stamp = self._stat()


def prepare_folder(folder: Path, *, create: bool, marker: str) -> None:
    """Create ``folder`` when allowed, else insist that an index (``marker`` file/dir) is there."""
    if (folder / marker).exists():
        return
    if not create:
        raise IndexNotReadyError(f"no lexical index at {folder}; build it with: medref index rebuild")
    folder.mkdir(parents=True, exist_ok=True)


def latest_by_id(passages: list[IndexedPassage] | tuple[IndexedPassage, ...]) -> list[IndexedPassage]:
    """Drop earlier copies of a repeated id in one batch (the last one wins, as in an upsert)."""
    if len({p.id for p in passages}) == len(passages):
        return list(passages)
    last: dict[int, IndexedPassage] = {}
    for p in passages:
        last.pop(p.id, None)
        last[p.id] = p
    return list(last.values())


@dataclass(frozen=True, slots=True)
class QueryPlan:
    terms: dict[str, float]  # analysed term -> weight
    phrases: list[tuple[list[str], float]]  # analysed phrases of 2+ terms -> weight
    kinds: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.terms and not self.phrases


def plan(query: LexicalQuery, analyzer: Analyzer = DEFAULT) -> QueryPlan:
    """Analyse a query.

    * ``terms``: every analysed word of every term, with the term's weight (the highest weight
      wins for a word that appears twice). A term of 2 to :data:`MAX_TERM_PHRASE` words (a
      multi-word synonym such as "cd40 ligand") also becomes a phrase with its weight, so the
      words count anywhere and count again when adjacent. A longer term is only a bag of words.
    * ``phrases``: one-word phrases become plain terms; the rest are kept as phrases.
    * Weights must be positive and finite; others are dropped.
    """
    terms = analyzer.query_terms(query.terms, limit=MAX_QUERY_TERMS)
    phrases: list[tuple[list[str], float]] = []
    for text, weight in query.terms:
        if len(phrases) >= MAX_PHRASES:
            break
        if " " not in text.strip() and "-" not in text:
            continue  # a single word: no phrase
        for toks, w in analyzer.query_phrases([(text, weight)], limit=1):
            if 2 <= len(toks) <= MAX_TERM_PHRASE:
                phrases.append((toks, w))
    for toks, w in analyzer.query_phrases(query.phrases, limit=MAX_PHRASES):
        if len(toks) == 1:
            if toks[0] in terms or len(terms) < MAX_QUERY_TERMS:
                terms[toks[0]] = max(terms.get(toks[0], 0.0), w)
        elif len(phrases) < 2 * MAX_PHRASES:
            phrases.append((toks, w))
    kinds = tuple(dict.fromkeys(k for k in query.kinds if isinstance(k, str) and k))
    return QueryPlan(terms=terms, phrases=phrases, kinds=kinds)


def check_k(k: int) -> int:
    """``k`` as a usable positive int (0 or less means no results)."""
    if isinstance(k, bool) or not isinstance(k, int):
        k = int(k)
    return max(0, min(k, 100_000))
