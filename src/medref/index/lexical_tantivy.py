"""Lexical (BM25) index on tantivy, the default backend (see docs/lexical-index.md).

Layout of the index folder: tantivy's own files (``meta.json``, segment files) plus
``state.json`` (watermark, backend, analyzer; :mod:`medref.index.lexical_common`).

Schema: ``id`` (i64, indexed + fast + stored: the store's passage id), ``text``, ``title``
and ``section`` (text fields holding the :mod:`~medref.index.textnorm` output, split on
whitespace by a registered tokenizer, with positions for phrase queries), ``kind``
(raw string, for filters) and ``current`` (bool, indexed + fast, kept for filtering
superseded labels later; they are indexed like any other passage).

Queries are built programmatically from analysed terms (term, boost, phrase and boolean
queries); tantivy's query parser never sees user text.

One process writes at a time (tantivy holds a lock file while a writer is open); readers in
other processes see each commit.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Occur, Query

from medref.errors import IndexNotReadyError, MedrefError
from medref.index.base import Hit, IndexedPassage, LexicalQuery
from medref.index.lexical_common import QueryPlan, StateFile, check_k, latest_by_id, plan, prepare_folder
from medref.index.textnorm import DEFAULT, Analyzer

TOKENIZER = "medref_ws"
#: Bump when _schema() changes; older indexes then ask for `medref index rebuild`.
#: 2: added the kind_code fast field.
SCHEMA_VERSION = 2
#: Field weights: a title hit counts double, a section-name hit half.
FIELD_WEIGHTS: tuple[tuple[str, float], ...] = (("text", 1.0), ("title", 2.0), ("section", 0.5))
_PHRASE_FIELDS = frozenset({"text", "title"})  # the fields indexed with positions
#: Writer memory: tantivy splits it between its indexing threads (at least 15 MB each).
HEAP_BYTES = 128_000_000
#: Indexing threads. On a 2-core machine one thread feeds documents from Python (analysis)
#: while tantivy indexes on the other; more threads only add contention.
THREADS = 1
#: Filter by kind after the search when the kinds asked for hold at least this share of passages.
POST_FILTER_SHARE = 0.2


def kind_code(kind: str) -> int:
    """A stable integer for a kind value (CRC-32), readable per hit from a fast field."""
    return zlib.crc32(kind.encode("utf-8"))


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("id", stored=True, indexed=True, fast=True)
    sb.add_text_field("text", tokenizer_name=TOKENIZER, index_option="position")
    sb.add_text_field("title", tokenizer_name=TOKENIZER, index_option="position")
    sb.add_text_field("section", tokenizer_name=TOKENIZER, index_option="freq")
    sb.add_text_field("kind", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("kind_code", fast=True)  # kind_code(kind), for filtering hits after the search
    sb.add_boolean_field("current", stored=True, indexed=True, fast=True)
    return sb.build()


class TantivyLexicalIndex:
    """BM25 over tantivy. ``add`` is an upsert; changes are visible to ``search``/``count``
    after ``commit`` (uncommitted changes are dropped by ``close``)."""

    name = "tantivy"

    def __init__(
        self,
        path: Path,
        *,
        create: bool = True,
        analyzer: Analyzer = DEFAULT,
        heap_bytes: int = HEAP_BYTES,
        threads: int = THREADS,
        field_weights: Sequence[tuple[str, float]] = FIELD_WEIGHTS,
    ) -> None:
        self.path = Path(path)
        self.analyzer = analyzer
        self._heap = max(int(heap_bytes), 15_000_000 * max(1, threads))
        self._threads = max(1, int(threads))
        self._fields = tuple((f, float(w)) for f, w in field_weights if w > 0)
        prepare_folder(self.path, create=create, marker="meta.json")
        self._state = StateFile(self.path, backend=self.name, analyzer=analyzer, schema=SCHEMA_VERSION)
        self._schema = _schema()
        try:
            if tantivy.Index.exists(str(self.path)):
                self._index = tantivy.Index.open(str(self.path))
            else:
                self._index = tantivy.Index(self._schema, path=str(self.path), reuse=False)
        except ValueError as exc:
            raise IndexNotReadyError(
                f"cannot open the tantivy index at {self.path}: {exc}; rebuild it with: medref index rebuild"
            ) from exc
        self._schema = self._index.schema
        self._index.register_tokenizer(
            TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        )
        self._writer: Any = None
        self._closed = False

    # ------------------------------------------------------------------ writing
    def _w(self) -> Any:
        if self._closed:
            raise MedrefError(f"the lexical index at {self.path} is closed")
        if self._writer is None:
            try:
                self._writer = self._index.writer(heap_size=self._heap, num_threads=self._threads)
            except ValueError as exc:  # not IndexNotReadyError: the index is fine, only busy
                raise MedrefError(
                    f"another process is writing the lexical index at {self.path}; "
                    "wait for it to finish and try again"
                ) from exc
        return self._writer

    def add(self, passages: Sequence[IndexedPassage]) -> None:
        batch = latest_by_id(tuple(passages))
        if not batch:
            return
        w = self._w()
        w.delete_documents_by_query(Query.term_set_query(self._schema, "id", [int(p.id) for p in batch]))
        analyzed = self.analyzer.analyzed
        for p in batch:
            w.add_document(
                tantivy.Document(
                    id=int(p.id),
                    text=analyzed(p.text),
                    title=analyzed(p.title),
                    section=analyzed(p.section),
                    kind=p.kind or "",
                    kind_code=kind_code(p.kind or ""),
                    current=bool(p.is_current),
                )
            )

    def remove(self, ids: Sequence[int]) -> None:
        wanted = sorted({int(i) for i in ids})
        if wanted:
            self._w().delete_documents_by_query(Query.term_set_query(self._schema, "id", wanted))

    def commit(self, watermark: int) -> None:
        if self._writer is not None:
            self._writer.commit()
            self._index.reload()
        self._state.write(watermark)

    def clear(self) -> None:
        w = self._w()
        w.delete_all_documents()
        self.commit(0)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.rollback()  # uncommitted changes are not kept
            writer.wait_merging_threads()

    # ------------------------------------------------------------------ reading
    @property
    def watermark(self) -> int:
        return self._state.watermark

    def count(self) -> int:
        return int(self._index.searcher().num_docs)

    def search(self, query: LexicalQuery, k: int) -> list[Hit]:
        k = check_k(k)
        qp = plan(query, self.analyzer)
        if qp.empty or k == 0:
            return []
        try:
            searcher = self._index.searcher()
            hits = self._post_filtered(searcher, qp, k) if qp.kinds else None
            if hits is None:
                hits = searcher.search(self._query(qp, filtered=True), limit=k, count=False).hits
            ids = searcher.fast_field_values("id", [addr for _, addr in hits]) if hits else []
        except ValueError as exc:  # a schema this version does not know
            raise IndexNotReadyError(
                f"the tantivy index at {self.path} cannot be searched ({exc}); "
                "rebuild it with: medref index rebuild"
            ) from exc
        out = [Hit(id=int(i), score=float(s)) for (s, _), i in zip(hits, ids, strict=True) if i is not None]
        out.sort(key=lambda h: (-h.score, h.id))
        return out

    def _post_filtered(self, searcher: Any, qp: QueryPlan, k: int) -> list[Any] | None:
        """Kinds that cover much of the index are cheaper to filter after an unfiltered search
        (which can skip blocks of low-scoring documents) than inside it. Returns None when that
        is not worth trying or did not yield ``k`` hits; the caller then filters in the query."""
        total = searcher.num_docs
        share = sum(searcher.doc_freq("kind", kind) for kind in qp.kinds) / max(total, 1)
        if share < POST_FILTER_SHARE:
            return None
        limit = min(total, int(k / min(share, 1.0) * 1.5) + 10)
        hits = searcher.search(self._query(qp, filtered=False), limit=limit, count=False).hits
        if not hits:
            return hits
        wanted = {kind_code(kind) for kind in qp.kinds}
        codes = searcher.fast_field_values("kind_code", [addr for _, addr in hits])
        kept = [h for h, c in zip(hits, codes, strict=True) if c in wanted][:k]
        if len(kept) == k or len(hits) < limit:  # enough, or every match was seen
            return kept
        return None

    def _query(self, qp: QueryPlan, *, filtered: bool) -> Query:
        """Analysed terms -> one tantivy query, built from parts (the query parser is never used)."""
        schema = self._schema
        clauses: list[tuple[Occur, Query]] = []
        for term, weight in qp.terms.items():
            for field, fw in self._fields:
                q = Query.term_query(schema, field, term, index_option="freq")
                boost = weight * fw
                clauses.append((Occur.Should, q if boost == 1.0 else Query.boost_query(q, boost)))
        for toks, weight in qp.phrases:
            for field, fw in self._fields:
                if field in _PHRASE_FIELDS:
                    q = Query.phrase_query(schema, field, list(toks))
                    clauses.append((Occur.Should, Query.boost_query(q, weight * fw)))
        main = Query.boolean_query(clauses)
        if filtered and qp.kinds:  # a filter: it must match but adds nothing to the score
            allowed = Query.term_set_query(schema, "kind", list(qp.kinds))
            main = Query.boolean_query(
                [(Occur.Must, main), (Occur.Must, Query.const_score_query(allowed, 0.0))]
            )
        return main
