"""The PostgreSQL lexical backend: tantivy's ranking in SQL, the change log, generations.

Runs against the local PostgreSQL test server (``pg_url``: a private schema, skipped when no
server answers); the pure helpers are tested without one.
"""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from medref.errors import ConfigError, IndexNotReadyError
from medref.index.base import Hit, IndexedPassage, LexicalQuery
from medref.index.factory import make_lexical
from medref.index.lexical_postgres import PostgresLexicalIndex, phrase_tsquery, tsvector_literal
from medref.index.pg_common import is_building
from medref.index.sync import check_fresh, open_indexes, rebuild, store_watermark, sync
from medref.models import Deletion
from medref.settings import load_settings
from medref.store.repository import Store
from tests.index.test_lexical import CORPUS
from tests.index.test_sync import doc

MORE = [
    IndexedPassage(
        7, "Nitrofurantoin is avoided late in pregnancy.", title="Urinary antiseptics", kind="label"
    ),
    IndexedPassage(
        8,
        "Hip fracture surgery within 48 hours lowered mortality; hip fracture care bundles helped.",
        title="Hip fracture timing",
        section="Conclusions",
        kind="pubmed",
    ),
    IndexedPassage(
        9, "IL6 blockade with tocilizumab in cytokine release syndrome.", title="IL-6", kind="pubmed"
    ),
]
QUERIES = [
    LexicalQuery(terms=[("hip fracture", 1.0)]),
    LexicalQuery(terms=[("IL-6", 1.0), ("burn", 0.5)]),
    LexicalQuery(terms=[("fracture", 1.0), ("surgery", 2.0)], kinds=("pubmed",)),
    LexicalQuery(terms=[("treated", 1.0)], phrases=[("hip fracture", 2.0)]),
    LexicalQuery(terms=[("nitrofurantoin", 1.0), ("urinary tract infections", 0.7)]),
    LexicalQuery(terms=[("tablet", 1.0)], kinds=("label", "trial")),
    LexicalQuery(terms=[("nothingmatchesthis", 1.0)]),
]


def _ranked(hits: list[Hit]) -> list[tuple[int, float]]:
    return [(h.id, round(h.score, 4)) for h in hits]


@pytest.fixture
def pair(pg_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    pg = make_lexical("postgres", tmp_path / "pg", url=pg_url)
    tv = make_lexical("tantivy", tmp_path / "tv")
    for ix in (pg, tv):
        ix.add([*CORPUS, *MORE])
        ix.commit(3)
    yield pg, tv
    pg.close()
    tv.close()


def test_tsvector_literal_keeps_fields_apart_and_quotes() -> None:
    lit = tsvector_literal([["hip", "fractur"], ["hip"], ["it's"]])
    # title first (A), then a gap, then text (D), then section (C); quotes doubled
    assert lit == "'hip':1A,3D 'fractur':4D 'it''s':6C"
    assert phrase_tsquery(["hip", "fractur"], 1) == "'hip':A <-> 'fractur':A"


def test_a_rebuild_folder_is_told_from_the_live_one(tmp_path: Path) -> None:
    live, new = tmp_path / "index.gen-1", tmp_path / "index.gen-2"
    live.mkdir()
    new.mkdir()
    (tmp_path / "index").symlink_to(live.name, target_is_directory=True)
    assert is_building(new / "lexical") and not is_building(live / "lexical")
    assert not is_building(tmp_path / "plain" / "lexical")  # an index folder from before generations


def test_same_ranking_and_scores_as_tantivy(pair) -> None:  # type: ignore[no-untyped-def]
    pg, tv = pair
    for q in QUERIES:
        want = tv.search(q, 10)
        got = pg.search(q, 10)
        assert [h.id for h in got] == [h.id for h in want], q
        assert [h.score for h in got] == pytest.approx([h.score for h in want], rel=1e-4), q
    assert pg.count() == tv.count() == len(CORPUS) + len(MORE)
    assert pg.watermark == 3


def test_removal_updates_statistics(pair, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """After removals and an update the scores are those of an index built from what is left
    (tantivy keeps counting removed passages in its statistics until it merges segments,
    so the reference is a fresh tantivy index)."""
    pg, _ = pair
    changed = IndexedPassage(2, "Serum IL-6 after burns and fractures.", title="Burns", kind="pubmed")
    pg.remove([5, 8, 999])  # 999 was never indexed
    pg.add([changed])
    pg.commit(4)
    left = [p for p in [*CORPUS, *MORE] if p.id not in (2, 5, 8)] + [changed]
    fresh = make_lexical("tantivy", tmp_path / "fresh")
    fresh.add(left)
    fresh.commit(4)
    assert pg.count() == fresh.count() == len(left)
    for q in QUERIES:
        assert _ranked(pg.search(q, 10)) == _ranked(fresh.search(q, 10)), q
    assert 5 not in {h.id for h in pg.search(QUERIES[0], 10)}
    conn = pg._reader()
    t = f"medref_lex_g{pg.gen}"
    assert conn.execute(f"SELECT count(*) FROM {t}_terms WHERE df <= 0").fetchone()[0] == 0
    stored = dict(conn.execute(f"SELECT term, df FROM {t}_terms WHERE field = 0").fetchall())
    assert "mobilis" not in stored and stored["fractur"] == 2  # 6 and the updated 2
    fresh.close()


def test_uncommitted_changes_are_dropped_on_close(pg_url: str, tmp_path: Path) -> None:
    ix = make_lexical("postgres", tmp_path / "pg", url=pg_url)
    ix.add(CORPUS[:2])
    ix.commit(1)
    ix.add(CORPUS[2:])
    ix.close()
    again = make_lexical("postgres", tmp_path / "pg", url=pg_url, create=False)
    assert again.count() == 2 and again.watermark == 1
    again.close()


def test_ts_rank_mode_finds_the_same_passages(pair, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pg, _ = pair
    ranked = make_lexical("postgres", tmp_path / "pg", url=pg_url, scoring="ts_rank")
    q = LexicalQuery(terms=[("hip fracture", 1.0)])
    assert {h.id for h in ranked.search(q, 10)} == {h.id for h in pg.search(q, 10)}
    assert ranked.search(q, 10)[0].id == 8  # the passage that says it most, title included
    ranked.close()


def test_only_with_a_postgresql_store(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must then be PostgreSQL"):
        make_lexical("postgres", tmp_path / "pg", url=f"sqlite:///{tmp_path / 'x.sqlite'}")
    settings = load_settings(data_dir=tmp_path, index={"lexical": "postgres", "dense": "off"})
    with pytest.raises(ConfigError, match="postgresql://"):
        open_indexes(settings)  # the default store is SQLite


def test_a_second_writer_is_refused(pair, pg_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pg, _ = pair
    other = make_lexical("postgres", tmp_path / "other", url=pg_url)
    pg.add(CORPUS[:1])
    with pytest.raises(Exception, match="another process is writing"):
        other.add(CORPUS[1:2])
    pg.commit(5)
    other.add(CORPUS[1:2])  # free again once the first one committed
    other.commit(6)
    assert pg.watermark == 6  # both follow the one live generation
    other.close()


def _settings(tmp_path: Path, pg_url: str, name: str = "host-a"):  # type: ignore[no-untyped-def]
    return load_settings(
        data_dir=tmp_path / name, database_url=pg_url, index={"lexical": "postgres", "dense": "off"}
    )


def _ids(indexes, word: str) -> set[int]:  # type: ignore[no-untyped-def]
    return {h.id for h in indexes.lexical.search(LexicalQuery(terms=[(word, 1.0)]), 50)}


def test_sync_follows_the_change_log_for_every_host(pg_url: str, tmp_path: Path) -> None:
    host_a, host_b = _settings(tmp_path, pg_url), _settings(tmp_path, pg_url, "host-b")
    store = Store.open(pg_url)
    store.write_file(
        [doc("pmid:1", "tacrolimus trough levels"), doc("pmid:2", "belatacept infusion")], path="a", fmt="x"
    )
    a = open_indexes(host_a)
    assert sync(store, a).added == 4 and a.lexical.count() == 4
    b = open_indexes(host_b)  # another host, its own data dir: the same index in the database
    assert check_fresh(store, b) == 0 and len(_ids(b, "tacrolimus")) == 1
    store.write_file([doc("pmid:1", "cyclosporine exposure"), Deletion(uid="pmid:2")], path="b", fmt="x")
    assert check_fresh(store, b) > 0
    report = sync(store, b)  # host B applies the log; host A sees it at once
    assert report.removed >= 2
    assert _ids(a, "tacrolimus") == set() and len(_ids(a, "cyclosporine")) == 1
    assert a.lexical.watermark == store_watermark(store) == b.lexical.watermark
    a.close()
    b.close()


def test_rebuild_publishes_a_new_generation_readers_follow(pg_url: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, pg_url)
    store = Store.open(pg_url)
    store.write_file([doc("pmid:1", "tacrolimus trough levels")], path="a", fmt="x")
    rebuild(store, settings)
    reader = open_indexes(settings, create=False)
    first = reader.lexical
    assert isinstance(first, PostgresLexicalIndex)
    old_gen = first.gen
    store.write_file([doc("pmid:3", "sirolimus and tacrolimus")], path="c", fmt="x")
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(len(_ids(reader, "tacrolimus"))))
    worker.start()
    worker.join()
    report = rebuild(store, settings)
    assert report.rebuilt and report.added == 4
    check_fresh(store, reader)  # follows the link (this host) or the live row (another host)
    assert len(_ids(reader, "tacrolimus")) == 2 and seen == [1]
    assert first.watermark == store_watermark(store) and first.gen != old_gen  # an old handle follows too
    u = make_url(pg_url)
    with psycopg.connect(
        host=u.host, port=u.port, dbname=u.database, user=u.username, options=str(u.query["options"])
    ) as conn:
        tables = {
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'medref_lex_g%'")
        }
    assert not any(t.startswith(f"medref_lex_g{old_gen}_") for t in tables)  # the old generation is dropped
    reader.close()


def test_missing_index_names_the_fix(pg_url: str, tmp_path: Path) -> None:
    with pytest.raises(IndexNotReadyError, match="medref index rebuild"):
        make_lexical("postgres", tmp_path / "never", url=pg_url, create=False)
