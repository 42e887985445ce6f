"""What the PostgreSQL index backends share: connections, generations and the watermark.

The PostgreSQL backends (:mod:`~medref.index.lexical_postgres`, :mod:`~medref.index.dense_pgvector`)
keep their index *in the store's database*, so every ``medref serve`` worker on every host
reads one index. The local index folder only holds a small marker file (``postgres.json``)
so that :func:`medref.index.sync.open_indexes` finds "an index" there.

**Generations.** One registry table (``<prefix>index_generations``) lists index generations::

    id | kind ('lexical'/'dense') | state ('building'/'live'/'retired') | watermark | meta (jsonb)

Each generation owns its own tables (``<prefix>lex_g<id>_*``, ``<prefix>dense_g<id>``). A
backend opened for serving or syncing follows the one ``live`` generation of its kind (and
notices when another host's rebuild replaced it: the watermark query also returns the live
id). A backend opened inside a new local generation folder that is not linked live yet (what
``medref index rebuild`` does) creates a ``building`` generation; its ``commit`` marks it
live, retires the previous one and drops its tables, in one transaction. A rebuild that
fails leaves a ``building`` row whose tables the next rebuild drops.

**Watermark.** ``commit(watermark)`` writes the index changes and the watermark in the same
transaction, so they cannot disagree. One writer at a time per generation: the write
transaction takes a transaction-level advisory lock and a second writer is refused.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medref.errors import ConfigError, IndexNotReadyError, MedrefError, MissingExtraError
from medref.index import generations
from medref.index.base import Hit

MARKER = "postgres.json"
DEFAULT_PREFIX = "medref_"
REBUILD_HINT = "rebuild it with: medref index rebuild"
_PREFIX_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
_LOCK_SPACE = 0x6D656472  # "medr": first key of every advisory lock taken here


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise MissingExtraError("the PostgreSQL indexes", "postgres", "psycopg") from None
    return psycopg


def libpq_url(url: str | None) -> str:
    """The store's SQLAlchemy URL as a libpq one; ConfigError when the store is not PostgreSQL."""
    if url is None:
        from medref.deps import get_settings

        url = get_settings().url
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"database URL {url!r} is not valid: {exc}") from exc
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            "the PostgreSQL index backends (index.lexical = 'postgres', index.dense = 'pgvector') "
            f"keep their index in the store's database, which must then be PostgreSQL, not "
            f"{parsed.get_backend_name()!r}; set database_url to a postgresql:// URL or choose "
            "another backend (tantivy/fts5, usearch/numpy)"
        )
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def check_prefix(prefix: str) -> str:
    if not _PREFIX_RE.match(prefix):
        raise ConfigError(f"index table prefix {prefix!r} must be lower-case letters, digits and _")
    return prefix


def is_building(folder: Path) -> bool:
    """True when ``folder`` sits in a generation folder that is not (yet) the live one: a rebuild."""
    root = folder.resolve().parent
    if generations.GEN not in root.name:
        return False
    link = root.with_name(root.name.split(generations.GEN, 1)[0])
    return generations.live_generation(link) != root


class PgIndexBase:
    """Connections, the generation registry and the watermark for one PostgreSQL index."""

    kind = ""  # 'lexical' or 'dense'
    name = ""

    def __init__(
        self,
        path: Path,
        *,
        url: str | None,
        create: bool,
        fresh: bool | None,
        prefix: str,
        meta: dict[str, Any],
    ) -> None:
        self.path = Path(path)
        self.prefix = check_prefix(prefix)
        self._url = libpq_url(url)
        self._pg = _psycopg()
        self._meta = meta
        self._local = threading.local()
        self._readers: list[Any] = []
        self._lock = threading.RLock()
        self._writer: Any = None
        self._closed = False
        self._building = is_building(self.path) if fresh is None else fresh
        if not create and not (self.path / MARKER).is_file():
            raise IndexNotReadyError(
                f"no {self.kind} index at {self.path}; build it with: medref index rebuild"
            )
        conn = self._connect(autocommit=True)
        try:
            with conn.transaction():
                self._lock_registry(conn)
                self._setup(conn)
                self.gen = self._attach(conn, create=create)
        finally:
            conn.close()
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / MARKER).write_text(json.dumps({"backend": self.name, "registry": self.registry}))

    # ------------------------------------------------------------------ plumbing
    @property
    def registry(self) -> str:
        return f"{self.prefix}index_generations"

    def _connect(self, *, autocommit: bool) -> Any:
        try:
            return self._pg.connect(self._url, autocommit=autocommit)
        except self._pg.Error as exc:
            raise MedrefError(f"cannot connect to the index database: {exc}") from exc

    def _lock_registry(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_LOCK_SPACE,))
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {self.registry} (id bigserial PRIMARY KEY, kind text NOT NULL, "
            "state text NOT NULL, watermark bigint NOT NULL DEFAULT 0, meta jsonb NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )

    def _attach(self, conn: Any, *, create: bool) -> int:
        if not self._building:
            row = conn.execute(
                f"SELECT id, meta FROM {self.registry} WHERE kind = %s AND state = 'live'", (self.kind,)
            ).fetchone()
            if row is not None:
                self._check_meta(row[1])
                return int(row[0])
            if not create:
                raise IndexNotReadyError(f"no live {self.kind} index in the database; {REBUILD_HINT}")
        state = "building" if self._building else "live"
        gen = int(
            conn.execute(
                f"INSERT INTO {self.registry} (kind, state, meta) VALUES (%s, %s, %s) RETURNING id",
                (self.kind, state, json.dumps({**self._meta, **self._new_meta()})),
            ).fetchone()[0]
        )
        self._create_tables(conn, gen)
        return gen

    def _check_meta(self, stored: dict[str, Any]) -> None:
        for key, want in self._meta.items():
            if stored.get(key) != want:
                raise IndexNotReadyError(
                    f"the live {self.kind} index in the database has {key} = {stored.get(key)!r}, "
                    f"this configuration wants {want!r}; {REBUILD_HINT}"
                )

    def _setup(self, conn: Any) -> None:
        """Hook: before attaching (check or create a server extension)."""

    def _new_meta(self) -> dict[str, Any]:
        """Hook: more metadata recorded with a new generation (not compared when attaching)."""
        return {}

    def _create_tables(self, conn: Any, gen: int) -> None:
        raise NotImplementedError

    def _table_names(self, gen: int) -> list[str]:
        raise NotImplementedError

    def _reader(self) -> Any:
        """This thread's autocommit connection (searches from many threads run side by side)."""
        if self._closed:
            raise MedrefError(f"the {self.kind} index at {self.path} is closed")
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._connect(autocommit=True)
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    def _write(self) -> Any:
        """The open write transaction (begun, with the writer lock of this generation)."""
        if self._closed:
            raise MedrefError(f"the {self.kind} index at {self.path} is closed")
        if self._writer is None:
            conn = self._connect(autocommit=False)
            got = conn.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (_LOCK_SPACE, self.gen)).fetchone()
            if not got[0]:
                conn.close()
                raise MedrefError(
                    f"another process is writing the {self.kind} index in the database; "
                    "wait for it to finish and try again"
                )
            self._writer = conn
        return self._writer

    def _follow_live(self) -> int:
        """The live generation's watermark, switching to that generation when it changed."""
        if self._building:
            row = (
                self._reader()
                .execute(f"SELECT id, watermark FROM {self.registry} WHERE id = %s", (self.gen,))
                .fetchone()
            )
        else:
            row = (
                self._reader()
                .execute(
                    f"SELECT id, watermark, meta FROM {self.registry} WHERE kind = %s AND state = 'live'",
                    (self.kind,),
                )
                .fetchone()
            )
        if row is None:
            raise IndexNotReadyError(f"the {self.kind} index is gone from the database; {REBUILD_HINT}")
        if int(row[0]) != self.gen:
            self._check_meta(row[2])
            self.gen = int(row[0])
            self._on_switch()
        return int(row[1])

    def _following(self, search: Callable[[], list[Hit]]) -> list[Hit]:
        """Run ``search``; when another host's rebuild dropped our tables meanwhile, follow the
        live generation and run it once more."""
        undefined = self._pg.errors.UndefinedTable
        try:
            return search()
        except undefined:
            self._follow_live()
            try:
                return search()
            except undefined as exc:
                raise IndexNotReadyError(f"the {self.name} {self.kind} index is gone: {exc}") from exc

    def _on_switch(self) -> None:
        """Hook: the live generation changed (cached statistics must be dropped)."""

    # ------------------------------------------------------------------ protocol parts
    @property
    def watermark(self) -> int:
        return self._follow_live()

    def commit(self, watermark: int) -> None:
        with self._lock:
            conn = self._write()
            conn.execute(
                f"UPDATE {self.registry} SET watermark = %s WHERE id = %s", (int(watermark), self.gen)
            )
            dropped: list[int] = []
            was_building = self._building
            if self._building:
                self._before_publish(conn)
                self._lock_registry(conn)
                rows = conn.execute(
                    f"UPDATE {self.registry} SET state = 'retired' WHERE kind = %s AND id <> %s "
                    "AND state IN ('live', 'retired', 'building') RETURNING id",
                    (self.kind, self.gen),
                ).fetchall()
                dropped = [int(r[0]) for r in rows]
                conn.execute(f"UPDATE {self.registry} SET state = 'live' WHERE id = %s", (self.gen,))
                for old in dropped:
                    for table in self._table_names(old):
                        conn.execute(f"DROP TABLE IF EXISTS {table}")
                conn.execute(
                    f"DELETE FROM {self.registry} WHERE state = 'retired' AND kind = %s", (self.kind,)
                )
                self._building = False
            conn.commit()
            conn.close()
            self._writer = None
            self._after_commit(published=was_building)

    def _before_publish(self, conn: Any) -> None:
        """Hook: work done once, in the publishing transaction (build the ANN index ...)."""

    def _after_commit(self, *, published: bool) -> None:
        """Hook: after a commit; ``published`` when it made a new generation live."""

    def vacuum(self) -> None:
        """VACUUM ANALYZE this generation's tables (index-only scans need the visibility map)."""
        conn = self._connect(autocommit=True)
        try:
            for table in self._table_names(self.gen):
                conn.execute(f"VACUUM (ANALYZE) {table}")
        finally:
            conn.close()

    def close(self) -> None:
        """Close every connection; a write transaction not committed is rolled back."""
        with self._lock:
            if not self._closed:
                self._closed = True
                open_conns = [*self._readers, *([self._writer] if self._writer is not None else [])]
                self._writer = None
                self._readers.clear()
                for conn in open_conns:
                    conn.close()  # psycopg rolls back a transaction still open on close

    def drop_all(self) -> None:
        """Remove every generation of this kind and its tables (tests and benches clean up with it)."""
        conn = self._connect(autocommit=False)
        try:
            self._lock_registry(conn)
            ids = conn.execute(f"SELECT id FROM {self.registry} WHERE kind = %s", (self.kind,)).fetchall()
            for (gen,) in ids:
                for table in self._table_names(int(gen)):
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(f"DELETE FROM {self.registry} WHERE kind = %s", (self.kind,))
            conn.commit()
        finally:
            conn.close()
