"""Lexical (BM25) index inside PostgreSQL, for many ``medref serve`` workers sharing one store.

Selected with ``index.lexical = "postgres"``; the store must be PostgreSQL (the index lives
in the same database, see :mod:`medref.index.pg_common` for generations and watermarks).
Needs only the ``postgres`` extra (psycopg); no server extension.

Text is analysed in Python by the shared :class:`~medref.index.textnorm.Analyzer`, so the
terms are exactly tantivy's. Tables of one generation ``g`` (prefix ``medref_lex_g<g>``)::

    _docs   (id, kind, current, len_text, len_title, len_section, tv tsvector)  GIN (tv), btree (kind)
    _post   (term, field, id, tf, dl, kc) btree (term, field) INCLUDE (id, tf, dl, kc), btree (id)
    _terms  (term, field, df)             document frequency per field
    _stats  (field, n, total_len)         passages and summed field lengths: N and avgdl

``field`` is 0 text, 1 title, 2 section; ``kc`` is a code of the passage's kind (CRC-32), so a
kinds filter is applied while the posting rows are read, not by a join. ``tv`` is built from the analysed tokens directly
(a tsvector literal, never PostgreSQL's parser): title lexemes carry weight A, text D,
section C, with a gap between fields so a phrase cannot run across two of them.

**Scoring** (``scoring="bm25"``, the default) is tantivy's: per field, BM25 with k1 = 1.2,
b = 0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5)) and avgdl = total_len / N, times the
term's query weight and the field weight (text 1, title 2, section 0.5), summed. One
aggregate over the posting rows of the query terms computes it. Phrases (two or more
analysed terms) add, to the best ``rerank`` candidates, the phrase's BM25 as tantivy scores
it: the phrase frequency (counted from the positions in ``tv``) as tf and the summed idf of
its terms.
``scoring="ts_rank"`` ranks with PostgreSQL's ``ts_rank`` over the GIN index instead (term
weights ignored); it is kept for comparison (see docs/postgres-backends.md).
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from medref.errors import ConfigError
from medref.index.base import Hit, IndexedPassage, LexicalQuery
from medref.index.lexical_common import QueryPlan, check_k, latest_by_id, plan
from medref.index.pg_common import DEFAULT_PREFIX, PgIndexBase
from medref.index.textnorm import DEFAULT, Analyzer

SCHEMA_VERSION = 1
K1, B = 1.2, 0.75
FIELD_WEIGHTS = (1.0, 2.0, 0.5)  # text, title, section (as tantivy)
_TV_WEIGHT = ("D", "A", "C")  # tsvector weight letter per field
_TV_ORDER = (1, 0, 2)  # title first, then text, then section
MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
MAX_POSITIONS_PER_LEXEME = 255
SCORINGS = ("bm25", "ts_rank")


def kind_code(kind: str) -> int:
    """A stable number for a kind value (CRC-32), kept on every posting row for kinds filters."""
    return zlib.crc32(kind.encode("utf-8"))


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(fields: Sequence[list[str]]) -> str:
    """The tsvector of analysed fields (text, title, section) as PostgreSQL input text."""
    where: dict[str, list[str]] = {}
    pos = 1
    for f in _TV_ORDER:
        toks = fields[f]
        letter = _TV_WEIGHT[f]
        for i, tok in enumerate(toks):
            slots = where.setdefault(tok, [])
            if len(slots) < MAX_POSITIONS_PER_LEXEME:
                slots.append(f"{min(pos + i, MAX_POSITION)}{letter}")
        pos += len(toks) + 1
    return " ".join(f"{_quote(lex)}:{','.join(slots)}" for lex, slots in where.items())


def phrase_tsquery(tokens: Sequence[str], field: int) -> str:
    """``'a':D <-> 'b':D``: the analysed phrase inside one field."""
    letter = _TV_WEIGHT[field]
    return " <-> ".join(f"{_quote(t)}:{letter}" for t in tokens)


def phrase_frequency(where: dict[str, list[tuple[int, str]]], tokens: Sequence[str], letter: str) -> int:
    """How often ``tokens`` occur one after another among positions of weight ``letter``."""
    starts = {p for p, w in where.get(tokens[0], ()) if w == letter}
    for i, tok in enumerate(tokens[1:], 1):
        starts &= {p - i for p, w in where.get(tok, ()) if w == letter}
    return len(starts)


class PostgresLexicalIndex(PgIndexBase):
    """BM25 in SQL over PostgreSQL tables; ``add`` is an upsert, visible after ``commit``."""

    name = "postgres"
    kind = "lexical"

    def __init__(
        self,
        path: Path,
        *,
        create: bool = True,
        url: str | None = None,
        analyzer: Analyzer = DEFAULT,
        scoring: str = "bm25",
        fresh: bool | None = None,
        prefix: str = DEFAULT_PREFIX,
        field_weights: Sequence[float] = FIELD_WEIGHTS,
        rerank: int = 100,
    ) -> None:
        if scoring not in SCORINGS:
            raise ConfigError(f"lexical postgres scoring must be one of {SCORINGS}, not {scoring!r}")
        self.analyzer = analyzer
        self.scoring = scoring
        self._fw = tuple(float(w) for w in field_weights)
        self._rerank = max(1, int(rerank))
        self._top = 0  # the highest id added since the last commit (a rebuild adds in id order)
        meta = {"backend": self.name, "schema": SCHEMA_VERSION, "analyzer": analyzer.signature}
        super().__init__(path, url=url, create=create, fresh=fresh, prefix=prefix, meta=meta)

    # ------------------------------------------------------------------ tables
    def _t(self, gen: int | None = None) -> str:
        return f"{self.prefix}lex_g{self.gen if gen is None else gen}"

    def _table_names(self, gen: int) -> list[str]:
        return [f"{self._t(gen)}_{s}" for s in ("docs", "post", "terms", "stats")]

    def _create_tables(self, conn: Any, gen: int) -> None:
        t = self._t(gen)
        conn.execute(
            f"CREATE TABLE {t}_docs (id bigint PRIMARY KEY, kind text NOT NULL, current boolean NOT NULL, "
            "len_text int NOT NULL, len_title int NOT NULL, len_section int NOT NULL, tv tsvector NOT NULL)"
        )
        conn.execute(
            f"CREATE TABLE {t}_post (term text NOT NULL, field smallint NOT NULL, id bigint NOT NULL, "
            "tf int NOT NULL, dl int NOT NULL, kc bigint NOT NULL)"
        )
        conn.execute(
            f"CREATE TABLE {t}_terms (term text NOT NULL, field smallint NOT NULL, df int NOT NULL, "
            "PRIMARY KEY (term, field))"
        )
        conn.execute(
            f"CREATE TABLE {t}_stats (field smallint PRIMARY KEY, n bigint NOT NULL, total_len bigint NOT NULL)"
        )
        conn.execute(f"INSERT INTO {t}_stats VALUES (0, 0, 0), (1, 0, 0), (2, 0, 0)")
        if not self._building:  # a rebuild creates these once, after loading (faster)
            self._create_indexes(conn, gen)

    def _create_indexes(self, conn: Any, gen: int) -> None:
        t = self._t(gen)
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {t}_post_term ON {t}_post (term, field) INCLUDE (id, tf, dl, kc)"
        )
        conn.execute(f"CREATE INDEX IF NOT EXISTS {t}_post_id ON {t}_post (id)")
        conn.execute(f"CREATE INDEX IF NOT EXISTS {t}_docs_tv ON {t}_docs USING gin (tv)")
        conn.execute(f"CREATE INDEX IF NOT EXISTS {t}_docs_kind ON {t}_docs (kind)")

    def _before_publish(self, conn: Any) -> None:
        t = self._t()
        self._create_indexes(conn, self.gen)
        conn.execute(f"TRUNCATE {t}_terms")
        conn.execute(
            f"INSERT INTO {t}_terms (term, field, df) SELECT term, field, count(*) FROM {t}_post GROUP BY 1, 2"
        )

    def _after_commit(self, *, published: bool) -> None:
        self._top = 0
        if published:
            self.vacuum()

    # ------------------------------------------------------------------ writing
    def _delete(self, conn: Any, ids: list[int]) -> None:
        t = self._t()
        gone = conn.execute(
            f"DELETE FROM {t}_docs WHERE id = ANY(%s) RETURNING len_text, len_title, len_section", (ids,)
        ).fetchall()
        if not gone:
            return
        if self._building:  # document frequencies are counted once, when the generation is published
            conn.execute(f"DELETE FROM {t}_post WHERE id = ANY(%s)", (ids,))
        else:
            emptied = conn.execute(
                f"WITH d AS (DELETE FROM {t}_post WHERE id = ANY(%s) RETURNING term, field), "
                "c AS (SELECT term, field, count(*) AS n FROM d GROUP BY 1, 2) "
                f"UPDATE {t}_terms x SET df = x.df - c.n FROM c WHERE x.term = c.term AND x.field = c.field "
                "RETURNING x.term, x.field, x.df",
                (ids,),
            ).fetchall()
            gone_terms = [(term, f) for term, f, df in emptied if df <= 0]
            if gone_terms:
                conn.execute(
                    f"DELETE FROM {t}_terms WHERE (term, field) IN "
                    "(SELECT * FROM unnest(%s::text[], %s::smallint[]))",
                    ([g[0] for g in gone_terms], [g[1] for g in gone_terms]),
                )
        self._bump_stats(conn, -len(gone), [-sum(r[f] for r in gone) for f in range(3)])

    def _bump_stats(self, conn: Any, n: int, lens: list[int]) -> None:
        conn.execute(
            f"UPDATE {self._t()}_stats s SET n = s.n + %s, total_len = s.total_len + v.d "
            "FROM unnest(ARRAY[0, 1, 2]::smallint[], %s::bigint[]) AS v(field, d) WHERE s.field = v.field",
            (n, lens),
        )

    def add(self, passages: Sequence[IndexedPassage]) -> None:
        batch = latest_by_id(tuple(passages))
        if not batch:
            return
        tokens = self.analyzer.tokens
        docs: list[tuple[Any, ...]] = []
        posts: list[tuple[Any, ...]] = []
        lens = [0, 0, 0]
        for p in batch:
            fields = [tokens(p.text), tokens(p.title), tokens(p.section)]
            kc = kind_code(p.kind or "")
            for f, toks in enumerate(fields):
                lens[f] += len(toks)
                for term, tf in Counter(toks).items():
                    posts.append((term, f, int(p.id), tf, len(toks), kc))
            docs.append(
                (
                    int(p.id),
                    p.kind or "",
                    bool(p.is_current),
                    *(len(x) for x in fields),
                    tsvector_literal(fields),
                )
            )
        ids = [d[0] for d in docs]
        with self._lock:
            conn = self._write()
            if not self._building or min(ids) <= self._top:  # a rebuild's new ids need no delete
                self._delete(conn, ids)
            self._top = max(self._top, *ids)
            t = self._t()
            with conn.cursor() as cur:
                cols = "id, kind, current, len_text, len_title, len_section, tv"
                with cur.copy(f"COPY {t}_docs ({cols}) FROM STDIN") as cp:
                    for row in docs:
                        cp.write_row(row)
                with cur.copy(f"COPY {t}_post (term, field, id, tf, dl, kc) FROM STDIN") as cp:
                    for row in posts:
                        cp.write_row(row)
            if not self._building:
                df = Counter((term, f) for term, f, *_ in posts)
                conn.execute(
                    f"INSERT INTO {t}_terms (term, field, df) SELECT * FROM "
                    "unnest(%s::text[], %s::smallint[], %s::int[]) "
                    "ON CONFLICT (term, field) DO UPDATE SET df = "
                    f"{t}_terms.df + excluded.df",
                    ([k[0] for k in df], [k[1] for k in df], list(df.values())),
                )
            self._bump_stats(conn, len(docs), lens)

    def remove(self, ids: Sequence[int]) -> None:
        wanted = sorted({int(i) for i in ids})
        if wanted:
            with self._lock:
                self._delete(self._write(), wanted)

    def clear(self) -> None:
        with self._lock:
            conn = self._write()
            for table in self._table_names(self.gen):
                if not table.endswith("_stats"):
                    conn.execute(f"TRUNCATE {table}")
            conn.execute(f"UPDATE {self._t()}_stats SET n = 0, total_len = 0")
        self.commit(0)

    # ------------------------------------------------------------------ reading
    def count(self) -> int:
        self._follow_live()
        row = self._reader().execute(f"SELECT n FROM {self._t()}_stats WHERE field = 0").fetchone()
        return int(row[0]) if row else 0

    def search(self, query: LexicalQuery, k: int) -> list[Hit]:
        k = check_k(k)
        qp = plan(query, self.analyzer)
        if qp.empty or k == 0:
            return []
        return self._following(lambda: self._search(qp, k))

    def _search(self, qp: QueryPlan, k: int) -> list[Hit]:
        if self.scoring == "ts_rank":
            return self._search_ts_rank(qp, k)
        conn = self._reader()
        t = self._t()
        words = dict(qp.terms)
        for toks, _ in qp.phrases:  # phrase words find candidates even when not query terms
            for tok in toks:
                words.setdefault(tok, 0.0)
        stats = {
            int(f): (int(n), int(tl))
            for f, n, tl in conn.execute(f"SELECT field, n, total_len FROM {t}_stats")
        }
        n_docs = stats.get(0, (0, 0))[0]
        if n_docs == 0:
            return []
        avgdl = {f: max(tl / n_docs, 1e-9) for f, (_, tl) in stats.items()}
        df = {
            (str(term), int(f)): int(d)
            for term, f, d in conn.execute(
                f"SELECT term, field, df FROM {t}_terms WHERE term = ANY(%s)", (list(words),)
            )
        }

        def idf(term: str, f: int) -> float:
            d = df.get((term, f), 0)
            return math.log(1.0 + (n_docs - d + 0.5) / (d + 0.5))

        keys = sorted((term, f) for term, f in df if self._fw[f] > 0)
        coef = [max(words[term], 0.0) * self._fw[f] * idf(term, f) * (K1 + 1) for term, f in keys]
        if not keys:
            return []
        limit = max(k, self._rerank) if qp.phrases else k
        where = ""
        args: list[Any] = [[x[0] for x in keys], [x[1] for x in keys], coef, [avgdl[x[1]] for x in keys]]
        if qp.kinds:
            where = "WHERE p.kc = ANY(%s)"
            args.append([kind_code(kind) for kind in qp.kinds])
        args.append(limit)
        rows = conn.execute(
            "SELECT p.id, sum(q.c * p.tf / (p.tf + %s * (1 - %s + %s * p.dl / q.avgdl))) AS s "
            "FROM unnest(%s::text[], %s::smallint[], %s::float8[], %s::float8[]) AS q(term, field, c, avgdl) "
            f"JOIN {t}_post p ON p.term = q.term AND p.field = q.field {where} "
            "GROUP BY p.id ORDER BY s DESC, p.id LIMIT %s",
            [K1, B, B, *args],
        ).fetchall()
        scores = {int(i): float(s) for i, s in rows}
        if qp.phrases and scores:
            self._phrase_bonus(conn, qp, scores, idf, avgdl)
        hits = [Hit(id=i, score=s) for i, s in scores.items() if s > 0]  # phrase words alone: no match
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits[:k]

    def _phrase_bonus(
        self, conn: Any, qp: QueryPlan, scores: dict[int, float], idf: Any, avgdl: dict[int, float]
    ) -> None:
        """Add each phrase's BM25 in text and title (tantivy's phrase score: the phrase frequency
        as tf, the summed idf of its terms) to the candidates; positions come from ``tv``."""
        words = sorted({tok for toks, _ in qp.phrases for tok in toks})
        rows = conn.execute(
            f"SELECT d.id, d.len_text, d.len_title, u.lexeme, u.positions, u.weights "
            f"FROM {self._t()}_docs d, unnest(d.tv) AS u WHERE d.id = ANY(%s) AND u.lexeme = ANY(%s)",
            (list(scores), words),
        ).fetchall()
        found: dict[int, tuple[tuple[int, int], dict[str, list[tuple[int, str]]]]] = {}
        for pid, len_text, len_title, lexeme, positions, weights in rows:
            entry = found.setdefault(int(pid), ((len_text, len_title), {}))
            entry[1][lexeme] = list(zip(positions, weights, strict=True))
        for pid, (lens, where) in found.items():
            for toks, w in qp.phrases:
                for f in (0, 1):
                    pf = phrase_frequency(where, toks, _TV_WEIGHT[f])
                    if pf and self._fw[f] > 0:
                        c = w * self._fw[f] * sum(idf(tok, f) for tok in toks) * (K1 + 1)
                        scores[pid] += c * pf / (pf + K1 * (1 - B + B * lens[f] / avgdl[f]))

    def _search_ts_rank(self, qp: QueryPlan, k: int) -> list[Hit]:
        parts = [_quote(t) for t in qp.terms] + [f"({phrase_tsquery(toks, 0)})" for toks, _ in qp.phrases]
        tsq = " | ".join(parts)
        # ts_rank's weights are for D, C, B, A: text 1, section 0.5, (unused), title 2 (scaled to <= 1)
        wts = [self._fw[0] / 2, self._fw[2] / 2, 0.0, self._fw[1] / 2]
        sql = (
            f"SELECT id, ts_rank(%s::float4[], tv, x.q, 1) AS s FROM {self._t()}_docs, "
            "(SELECT %s::tsquery AS q) AS x WHERE tv @@ x.q"
        )
        args: list[Any] = [wts, tsq]
        if qp.kinds:
            sql += " AND kind = ANY(%s)"
            args.append(list(qp.kinds))
        sql += " ORDER BY s DESC, id LIMIT %s"
        args.append(k)
        rows = self._reader().execute(sql, args).fetchall()
        return [Hit(id=int(i), score=float(s)) for i, s in rows]
