"""Dense (cosine) search inside PostgreSQL with the pgvector extension.

Selected with ``index.dense = "pgvector"``; the store must be PostgreSQL and the server must
have pgvector (``CREATE EXTENSION vector`` is run when it is available but not yet created).
The vectors come from the same embedder as the other dense backends; the model name, the
dimension and the storage type are recorded with the index generation
(:mod:`medref.index.pg_common`), and an index built with another model is refused
(rebuild it).

One table per generation, ``medref_dense_g<g> (id bigint PRIMARY KEY, embedding halfvec(dim))``,
with an HNSW index on cosine distance (``m = 16``, ``ef_construction = 128``, as usearch's
defaults; a rebuild loads the rows first and builds the graph once, before publishing). Storage is ``halfvec`` (half
floats, as the usearch backend) when the server's pgvector is 0.7 or newer, else ``vector``.

Rows are loaded with binary COPY built by numpy (no per-float text formatting). Searches set
``hnsw.ef_search`` to max(``expansion_search``, k) (pgvector caps it at 1000) and return
cosine similarity, best first.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medref.errors import ConfigError
from medref.index.base import Hit
from medref.index.dense_numpy import check_ids, check_vectors, last_occurrence
from medref.index.pg_common import DEFAULT_PREFIX, PgIndexBase

STORAGES = ("auto", "halfvec", "vector")
MAX_EF_SEARCH = 1000
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def copy_binary(ids: np.ndarray, rows: np.ndarray, storage: str) -> bytes:
    """Binary COPY data for (id bigint, embedding vector|halfvec) rows."""
    n, dim = rows.shape
    ftype = ">f2" if storage == "halfvec" else ">f4"
    width = 2 if storage == "halfvec" else 4
    rec = np.dtype(
        [
            ("nf", ">i2"),
            ("idlen", ">i4"),
            ("id", ">i8"),
            ("vlen", ">i4"),
            ("dim", ">i2"),
            ("unused", ">i2"),
            ("v", ftype, (dim,)),
        ]
    )
    out = np.zeros(n, dtype=rec)
    out["nf"], out["idlen"], out["id"] = 2, 8, ids
    out["vlen"], out["dim"] = 4 + width * dim, dim
    out["v"] = rows
    return _COPY_HEADER + out.tobytes() + _COPY_TRAILER


class PgvectorDenseIndex(PgIndexBase):
    """HNSW cosine search with pgvector; ``add`` is an upsert, visible after ``commit``."""

    name = "pgvector"
    kind = "dense"

    def __init__(
        self,
        path: Path,
        *,
        dim: int = 384,
        create: bool = True,
        url: str | None = None,
        model: str = "unknown",
        storage: str = "auto",
        m: int = 16,
        ef_construction: int = 128,
        expansion_search: int = 128,
        fresh: bool | None = None,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        if dim < 1:
            raise ConfigError(f"dense index dim must be positive, not {dim}")
        if storage not in STORAGES:
            raise ConfigError(f"pgvector storage must be one of {STORAGES}, not {storage!r}")
        self.dim = dim
        self.storage = storage
        self.expansion_search = max(1, int(expansion_search))
        self._hnsw = (int(m), int(ef_construction))
        self._top = 0  # the highest id added since the last commit (a rebuild adds in id order)
        meta = {"backend": self.name, "dim": dim, "model": model}
        super().__init__(path, url=url, create=create, fresh=fresh, prefix=prefix, meta=meta)

    # ------------------------------------------------------------------ set-up
    def _setup(self, conn: Any) -> None:
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        if row is None:
            available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
            if available is None:
                raise ConfigError(
                    "the pgvector dense index needs the pgvector extension on the PostgreSQL server, "
                    "which does not have it (install pgvector there, or choose index.dense = 'usearch')"
                )
            try:
                with conn.transaction():
                    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            except self._pg.Error as exc:
                raise ConfigError(
                    f"the pgvector extension could not be created ({exc}); ask the database owner to run "
                    "CREATE EXTENSION vector in this database"
                ) from exc
            row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        has_halfvec = _version(str(row[0])) >= (0, 7)
        if self.storage == "auto":
            self.storage = "halfvec" if has_halfvec else "vector"
        elif self.storage == "halfvec" and not has_halfvec:
            raise ConfigError(f"halfvec needs pgvector 0.7 or newer; the server has {row[0]}")

    def _new_meta(self) -> dict[str, Any]:
        return {"storage": self.storage, "m": self._hnsw[0], "ef_construction": self._hnsw[1]}

    def _check_meta(self, stored: dict[str, Any]) -> None:
        super()._check_meta(stored)
        self.storage = str(stored.get("storage", "vector"))

    def _t(self, gen: int | None = None) -> str:
        return f"{self.prefix}dense_g{self.gen if gen is None else gen}"

    def _table_names(self, gen: int) -> list[str]:
        return [self._t(gen)]

    def _create_tables(self, conn: Any, gen: int) -> None:
        conn.execute(
            f"CREATE TABLE {self._t(gen)} (id bigint PRIMARY KEY, embedding {self.storage}({self.dim}) NOT NULL)"
        )
        if not self._building:
            self._create_ann(conn, gen)

    def _create_ann(self, conn: Any, gen: int) -> None:
        t = self._t(gen)
        m, efc = self._hnsw
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {t}_hnsw ON {t} USING hnsw (embedding {self.storage}_cosine_ops) "
            f"WITH (m = {m}, ef_construction = {efc})"
        )

    def _before_publish(self, conn: Any) -> None:
        self._create_ann(conn, self.gen)

    def _after_commit(self, *, published: bool) -> None:
        self._top = 0
        if published:
            self.vacuum()

    # ------------------------------------------------------------------ writing
    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace one vector per id (the last one wins for an id given twice)."""
        rows = check_vectors(vectors, self.dim)
        keys = check_ids(ids, rows.shape[0])
        if len(keys) > 0:
            latest = last_occurrence(keys)
            self._upsert(keys[latest], rows[latest])

    def _upsert(self, keys: np.ndarray, rows: np.ndarray) -> None:
        id_list = [int(i) for i in keys]
        with self._lock:
            conn = self._write()
            if not self._building or min(id_list) <= self._top:  # a rebuild's new ids need no delete
                conn.execute(f"DELETE FROM {self._t()} WHERE id = ANY(%s)", (id_list,))
            self._top = max(self._top, *id_list)
            copy = f"COPY {self._t()} (id, embedding) FROM STDIN WITH (FORMAT binary)"
            with conn.cursor() as cur, cur.copy(copy) as cp:
                cp.write(copy_binary(keys, rows, self.storage))

    def remove(self, ids: Sequence[int] | np.ndarray) -> None:
        wanted = sorted({int(i) for i in check_ids(ids)})
        if wanted:
            with self._lock:
                self._write().execute(f"DELETE FROM {self._t()} WHERE id = ANY(%s)", (wanted,))

    def clear(self) -> None:
        with self._lock:
            self._write().execute(f"TRUNCATE {self._t()}")
        self.commit(0)

    # ------------------------------------------------------------------ reading
    def count(self) -> int:
        self._follow_live()
        return int(self._reader().execute(f"SELECT count(*) FROM {self._t()}").fetchone()[0])

    def search(self, vector: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` ids most similar to ``vector``, score = cosine similarity, best first."""
        query = check_vectors(vector, self.dim, what="query vector")[0]
        k = max(0, min(int(k), 100_000))
        if k == 0:
            return []
        literal = "[" + ",".join(f"{x:.7g}" for x in query.tolist()) + "]"
        return self._following(lambda: self._search(literal, k))

    def _search(self, literal: str, k: int) -> list[Hit]:
        conn = self._reader()
        ef = min(max(self.expansion_search, k), MAX_EF_SEARCH)
        if getattr(self._local, "ef", None) != (id(conn), ef):
            conn.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(ef),))
            self._local.ef = (id(conn), ef)
        q = f"%s::{self.storage}({self.dim})"
        rows = conn.execute(  # ORDER BY the bare distance: anything more and the HNSW index is not used
            f"SELECT id, embedding <=> {q} FROM {self._t()} ORDER BY embedding <=> {q} LIMIT %s",
            (literal, literal, k),
        ).fetchall()
        hits = [Hit(id=int(i), score=float(np.clip(1.0 - float(d), -1.0, 1.0))) for i, d in rows]
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits
