"""Lexical (BM25) index on SQLite FTS5, the no-extra-dependency backend.

The index is its own SQLite file, ``fts5.sqlite``, in the index folder (never the main
store, which may be PostgreSQL), plus ``state.json`` (:mod:`medref.index.lexical_common`).

One ordinary FTS5 table (it keeps its own copy of the indexed text, so rows can be deleted
and replaced; SQLite before 3.43 cannot delete from a contentless table)::

    passages(text, title, section, kind UNINDEXED, current UNINDEXED)   rowid = passage id

The columns hold :mod:`~medref.index.textnorm` output (already lower-cased, folded, stemmed,
stopwords removed), so the table uses the ``unicode61`` tokenizer with diacritics kept:
its only job is to split on the spaces. Running FTS5's ``porter`` stemmer on top would
stem twice; the shared analyzer is what keeps the backends comparable.

Ranking is FTS5's ``bm25()`` with column weights (text 1, title 2, section 0.5). The MATCH
string is built only from double-quoted analysed terms (a quote inside would be doubled)
joined with ``OR``; phrases are quoted multi-term strings. FTS5 cannot weight individual
query terms, so the weights of a :class:`~medref.index.base.LexicalQuery` only decide which
terms are kept (see docs/lexical-index.md).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from medref.errors import IndexNotReadyError, MedrefError
from medref.index.base import Hit, IndexedPassage, LexicalQuery
from medref.index.lexical_common import StateFile, check_k, latest_by_id, plan, prepare_folder
from medref.index.textnorm import DEFAULT, Analyzer

DB_FILE = "fts5.sqlite"
COLUMN_WEIGHTS = (1.0, 2.0, 0.5)  # text, title, section
_CHUNK = 500  # ids per DELETE ... IN (...)

_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5("
    "text, title, section, kind UNINDEXED, current UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 0')"
)


def _quote(tokens: Iterable[str]) -> str:
    """One FTS5 string literal: the terms inside double quotes, inner quotes doubled."""
    return '"' + " ".join(tokens).replace('"', '""') + '"'


def match_string(terms: Iterable[str], phrases: Iterable[Sequence[str]] = ()) -> str:
    """The MATCH expression for analysed terms and phrases: quoted strings joined by OR."""
    parts = [_quote([t]) for t in terms] + [_quote(p) for p in phrases]
    return " OR ".join(parts)


class Fts5LexicalIndex:
    """BM25 over SQLite FTS5. ``add`` is an upsert; ``commit`` ends the write transaction."""

    name = "fts5"

    def __init__(
        self,
        path: Path,
        *,
        create: bool = True,
        analyzer: Analyzer = DEFAULT,
        column_weights: Sequence[float] = COLUMN_WEIGHTS,
    ) -> None:
        self.path = Path(path)
        self.analyzer = analyzer
        weights = [float(w) for w in column_weights][:3]
        self._rank_args = ", ".join(f"{w:g}" for w in weights)
        prepare_folder(self.path, create=create, marker=DB_FILE)
        self._state = StateFile(self.path, backend=self.name, analyzer=analyzer)
        self._lock = threading.RLock()
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self.path / DB_FILE, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")  # the watermark is written after COMMIT
            self._conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache
            self._conn.execute(_DDL)
        except sqlite3.Error as exc:
            raise IndexNotReadyError(
                f"cannot open the FTS5 index at {self.path}: {exc}; rebuild it with: medref index rebuild"
            ) from exc

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise MedrefError(f"the lexical index at {self.path} is closed")
        return self._conn

    def _begin(self) -> sqlite3.Connection:
        conn = self._db()
        if not conn.in_transaction:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # not IndexNotReadyError: the index is fine, only busy
                raise MedrefError(
                    f"another process is writing the lexical index at {self.path} ({exc}); "
                    "wait for it to finish and try again"
                ) from exc
        return conn

    def _delete(self, conn: sqlite3.Connection, ids: Sequence[int]) -> None:
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            conn.execute(f"DELETE FROM passages WHERE rowid IN ({','.join('?' * len(chunk))})", chunk)

    # ------------------------------------------------------------------ writing
    def add(self, passages: Sequence[IndexedPassage]) -> None:
        batch = latest_by_id(tuple(passages))
        if not batch:
            return
        analyzed = self.analyzer.analyzed
        rows = [
            (
                int(p.id),
                analyzed(p.text),
                analyzed(p.title),
                analyzed(p.section),
                p.kind or "",
                int(bool(p.is_current)),
            )
            for p in batch
        ]
        with self._lock:
            conn = self._begin()
            self._delete(conn, [r[0] for r in rows])
            conn.executemany(
                "INSERT INTO passages(rowid, text, title, section, kind, current) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def remove(self, ids: Sequence[int]) -> None:
        wanted = sorted({int(i) for i in ids})
        if wanted:
            with self._lock:
                self._delete(self._begin(), wanted)

    def commit(self, watermark: int) -> None:
        with self._lock:
            conn = self._db()
            if conn.in_transaction:
                conn.execute("COMMIT")
            self._state.write(watermark)

    def clear(self) -> None:
        with self._lock:
            self._begin().execute("DELETE FROM passages")
            self.commit(0)

    def optimize(self) -> None:
        """Merge FTS5's b-tree segments into one (worth it after a rebuild)."""
        with self._lock:
            conn = self._db()
            if conn.in_transaction:
                conn.execute("COMMIT")
            conn.execute("INSERT INTO passages(passages) VALUES ('optimize')")

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")  # uncommitted changes are not kept
                conn.close()

    # ------------------------------------------------------------------ reading
    @property
    def watermark(self) -> int:
        return self._state.watermark

    def count(self) -> int:
        with self._lock:
            return int(self._db().execute("SELECT count(*) FROM passages").fetchone()[0])

    def search(self, query: LexicalQuery, k: int) -> list[Hit]:
        k = check_k(k)
        qp = plan(query, self.analyzer)
        if qp.empty or k == 0:
            return []
        sql = f"SELECT rowid, bm25(passages, {self._rank_args}) AS s FROM passages WHERE passages MATCH ?"
        args: list[object] = [match_string(qp.terms, [toks for toks, _ in qp.phrases])]
        if qp.kinds:
            sql += f" AND kind IN ({','.join('?' * len(qp.kinds))})"
            args.extend(qp.kinds)
        sql += " ORDER BY s, rowid LIMIT ?"
        args.append(k)
        with self._lock:
            try:
                rows = self._db().execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:  # should not happen: the string is built, not typed
                raise IndexNotReadyError(f"the FTS5 index at {self.path} failed a query: {exc}") from exc
        return [Hit(id=int(r[0]), score=-float(r[1])) for r in rows]
