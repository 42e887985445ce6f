"""MeSH and DrugBank vocabulary downloads, in the layout `medref lexicon build` reads."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from medref.ingest.fetch.base import FetchError
from medref.ingest.fetch.vocab import VocabFetcher, drugbank_csv_from, mesh_xml_to_tsv
from tests.ingest.fetch.fakes import MESH_XML, Vocab, serve


def test_vocab_lands_where_lexicon_build_reads_it(tmp_path: Path, make_client) -> None:
    from medref.retrieve.lexicon import Lexicon, build_default

    with serve(Vocab()) as srv, make_client() as client:
        fetcher = VocabFetcher(
            client,
            tmp_path / "vocab",
            mesh_url=f"{srv.url}/xmlmesh",
            drugbank_url=f"{srv.url}/all-drugbank-vocabulary",
        )
        report = fetcher.fetch(year=2031)
        again = fetcher.fetch(year=2031)
    assert not report.errors and again.skipped == 2 and again.requests == 0
    with gzip.open(tmp_path / "vocab/mesh/data_mesh_thesaurus.tsv.gz", "rt") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert [(r["DescriptorUI"], r["TermName"], r["RecordPreferredTermYN"]) for r in rows] == [
        ("D900001", "Examplumab", "Y"),
        ("D900001", "EXM-101", "N"),
        ("D900002", "Fever, Invented", "Y"),
    ]
    actions = (tmp_path / "vocab/mesh/data_pharm_action.tsv").read_text().splitlines()
    assert actions[1] == "D900001\tExamplumab\tD900100\tExample Blocking Agents"
    out = tmp_path / "lexicon.jsonl.gz"
    stats = build_default(tmp_path / "vocab", out)
    assert stats.drugs_linked_to_mesh >= 1 and stats.conditions >= 1
    lex = Lexicon.load(out)
    drug = next(c for c in lex.lookup("EXM-101") if c.kind == "drug")
    assert drug.drugbank_id == "DB90001" and "Example Blocking Agents" in drug.classes
    assert any(c.kind == "condition" for c in lex.lookup("invented fever"))


def test_bad_downloads_are_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="not DrugBank's vocabulary CSV"):
        drugbank_csv_from(b"<html>please sign in</html>", "drugbank")
    bad = tmp_path / "desc.gz"
    bad.write_bytes(gzip.compress(b"<DescriptorRecordSet></DescriptorRecordSet>"))
    with pytest.raises(FetchError, match="no DescriptorRecord"):
        mesh_xml_to_tsv(bad, tmp_path / "mesh")
    bad.write_bytes(gzip.compress(MESH_XML.encode()[:300]))
    with pytest.raises(FetchError, match="not readable MeSH descriptor XML"):
        mesh_xml_to_tsv(bad, tmp_path / "mesh")
    assert not list((tmp_path / "mesh").glob("*"))  # no partial tables left behind
