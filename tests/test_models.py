"""Domain model: classification by publication type, evidence levels, links, hashes."""

from __future__ import annotations

import pytest

from medref.models import Document, EvidenceLevel, SourceKind, evidence_level, kind_from_publication_types


@pytest.mark.parametrize(
    ("types", "kind"),
    [
        (["Journal Article", "Practice Guideline"], SourceKind.GUIDELINE),
        (["Journal Article", "Meta-Analysis", "Review"], SourceKind.SYSTEMATIC_REVIEW),
        (["Randomized Controlled Trial", "Multicenter Study"], SourceKind.RCT),
        (["Observational Study"], SourceKind.OBSERVATIONAL),
        (["Case Reports"], SourceKind.CASE_REPORT),
        (["Review"], SourceKind.NARRATIVE_REVIEW),
        (["Journal Article"], SourceKind.OTHER),
        ([], SourceKind.OTHER),
    ],
)
def test_kind_from_publication_types(types: list[str], kind: SourceKind) -> None:
    assert kind_from_publication_types(types) is kind


def test_evidence_levels_order() -> None:
    assert evidence_level(SourceKind.GUIDELINE) < evidence_level(SourceKind.RCT)
    assert evidence_level(SourceKind.RCT) < evidence_level(SourceKind.OBSERVATIONAL)
    assert evidence_level(SourceKind.CASE_REPORT) is EvidenceLevel.LOW
    # an article of unknown kind refined by its publication types
    assert evidence_level(SourceKind.OTHER, ["Randomized Controlled Trial"]) is EvidenceLevel.RANDOMISED


def test_links_and_labels() -> None:
    assert (
        Document(uid="pmid:1", kind=SourceKind.RCT, title="t", pmid="1").url
        == "https://pubmed.ncbi.nlm.nih.gov/1/"
    )
    assert Document(uid="nct:X", kind=SourceKind.TRIAL_REGISTRATION, title="t", nct_id="NCT1").url.endswith(
        "NCT1"
    )
    assert SourceKind.TRIAL_REGISTRATION.label == "Trial"
    assert SourceKind.SYSTEMATIC_REVIEW.label == "Research"
    assert SourceKind.DRUG_LABEL.label == "Drug label"


def test_content_hash_ignores_source_path_but_not_text() -> None:
    a = Document(uid="pmid:1", kind=SourceKind.RCT, title="t", text="x", source_path="/a")
    b = a.model_copy(update={"source_path": "/b"})
    c = a.model_copy(update={"text": "y"})
    assert a.content_hash() == b.content_hash() != c.content_hash()


def test_illustrative_records_get_no_outbound_link() -> None:
    """Invented demo identifiers must never become links to real sites (PubMed, DailyMed, ...)."""
    from medref.models import Document, SourceKind, illustrative_ids

    demo = Document(uid="pmid:90000005", kind=SourceKind.RCT, title="An invented abstract", pmid="90000005")
    real = Document(uid="pmid:31978945", kind=SourceKind.RCT, title="A real abstract", pmid="31978945")
    assert demo.illustrative and demo.url is None
    assert not real.illustrative and real.url == "https://pubmed.ncbi.nlm.nih.gov/31978945/"
    assert illustrative_ids(doi="10.99999/medref-demo.1")
    assert illustrative_ids(nct_id="NCT99000001") and not illustrative_ids(nct_id="NCT04280705")
    assert illustrative_ids(spl_setid="00000000-4d3e-4000-8000-00000000be1a")
    assert not illustrative_ids(spl_setid="608d4f0d-b19f-46d3-749a-7159aa5f933d")
