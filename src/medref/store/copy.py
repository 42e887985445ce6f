"""Bulk loading of staged rows with PostgreSQL's ``COPY ... FROM STDIN`` (psycopg 3).

The staging step (:mod:`medref.store.staging`) writes each batch of records as marked
rows that no reader sees. On PostgreSQL an ``executemany`` of INSERTs spends most of its
time on per-row round trips and statement handling; ``COPY`` streams the same rows in one
command, inside the same transaction, so all-or-nothing, re-ingest, change-log and content
hash semantics stay exactly those of the INSERT path: only the way the rows travel changes.

Values are sent in COPY's text format. JSON columns are serialised with :func:`json.dumps`
as SQLAlchemy does for them (a Python ``None`` in a JSON column is JSON ``null``, as
SQLAlchemy stores it by default), so a row written here reads back the same as one written
by an INSERT.

SQLite keeps its INSERT path (:func:`usable` is False there): it has no COPY, and its
executemany runs in-process without round trips.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table

from medref.store.schema import documents, passages

#: Columns written by COPY, in order: every column but the generated ``id``.
DOCUMENT_COLUMNS: tuple[str, ...] = tuple(c.name for c in documents.c if c.name != "id")
PASSAGE_COLUMNS: tuple[str, ...] = tuple(c.name for c in passages.c if c.name != "id")


#: Benchmarks set this to False to measure the INSERT path on PostgreSQL.
ENABLED = True


def usable(conn: Connection) -> bool:
    """True when ``conn`` is a PostgreSQL connection through psycopg 3 (which has ``copy``)."""
    return ENABLED and conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _json_flags(table: Table, names: Sequence[str]) -> list[bool]:
    return [isinstance(table.c[name].type, JSON) for name in names]


def _cells(row: dict[str, Any], columns: Sequence[tuple[str, bool]]) -> list[Any]:
    get, dumps = row.get, json.dumps
    return [dumps(get(name)) if is_json else get(name) for name, is_json in columns]


def copy_rows(conn: Connection, table: Table, names: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """``COPY table (names) FROM STDIN`` of ``rows`` (dicts keyed by column name); returns the count.

    Runs on the connection's current transaction. A missing key is sent as NULL (or JSON
    ``null`` for a JSON column), so callers pass every NOT NULL column.
    """
    columns = list(zip(names, _json_flags(table, names), strict=True))
    raw = conn.connection.driver_connection
    assert raw is not None
    cols = ", ".join(f'"{n}"' for n in names)
    count = 0
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(_cells(row, columns))
            count += 1
    return count


def copy_documents(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    return copy_rows(conn, documents, DOCUMENT_COLUMNS, rows)


def copy_passages(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    return copy_rows(conn, passages, PASSAGE_COLUMNS, rows)
