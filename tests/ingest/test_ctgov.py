"""ClinicalTrials.gov API v2 JSON parser."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest

from medref.errors import ParseError
from medref.ingest import ctgov
from medref.ingest.registry import get_parser
from medref.models import Document, SourceKind


def _docs(path: Path) -> list[Document]:
    docs = [d for d in ctgov.parse(path) if isinstance(d, Document)]
    for doc in docs:
        for p in doc.passages:
            assert doc.text[p.start : p.end] == p.text
        assert [p.ordinal for p in doc.passages] == list(range(len(doc.passages)))
    return docs


def _raw(fixtures: Path, name: str) -> dict:
    return json.loads((fixtures / "ctgov" / name).read_text())


def test_single_study_document_fields(fixtures: Path) -> None:
    raw = _raw(fixtures, "study.json")["protocolSection"]
    (doc,) = _docs(fixtures / "ctgov" / "study.json")
    assert doc.uid == f"nct:{raw['identificationModule']['nctId']}"
    assert doc.kind is SourceKind.TRIAL_REGISTRATION
    assert doc.nct_id == raw["identificationModule"]["nctId"]
    assert doc.title == raw["identificationModule"]["officialTitle"]
    assert doc.journal == "ClinicalTrials.gov"
    posted = raw["statusModule"]["studyFirstPostDateStruct"]["date"]
    assert doc.date == dt.date.fromisoformat(posted) and doc.year == int(posted[:4])
    assert doc.url == f"https://clinicaltrials.gov/study/{doc.nct_id}"
    assert doc.mesh_terms == ["Pruritus"]
    m = doc.meta
    assert m["conditions"] == raw["conditionsModule"]["conditions"]
    assert m["keywords"] == raw["conditionsModule"]["keywords"]
    assert m["phases"] == ["PHASE2"] and m["status"] == "COMPLETED" and m["allocation"] == "RANDOMIZED"
    assert m["enrollment"] == raw["designModule"]["enrollmentInfo"]["count"]
    assert m["sponsor"] == raw["sponsorCollaboratorsModule"]["leadSponsor"]["name"]
    assert m["organization"] == raw["identificationModule"]["organization"]["fullName"]
    assert m["dates"]["start"] == "2021-03" and m["dates"]["completion"] == "2023-01-15"
    assert m["dates"]["last_update_posted"] == raw["statusModule"]["lastUpdatePostDateStruct"]["date"]
    assert [a["label"] for a in m["arms"]] == [
        a["label"] for a in raw["armsInterventionsModule"]["armGroups"]
    ]
    assert [o["measure"] for o in m["outcomes"]["secondary"]] == [
        o["measure"] for o in raw["outcomesModule"]["secondaryOutcomes"]
    ]
    exm = m["interventions"][0]
    assert exm["name"] == "Examplimab" and exm["type"] == "DRUG" and exm["other_names"] == ["EXM-01"]
    assert exm["doses"] == ["10 mg/kg", "3 mg/kg", "250 mg"]
    assert m["interventions"][1]["doses"] == []
    assert m["has_results"] is False


def test_single_study_passages(fixtures: Path) -> None:
    (doc,) = _docs(fixtures / "ctgov" / "study.json")
    sections = [p.section for p in doc.passages]
    assert sections == [
        "Title", "Brief Summary", "Detailed Description", "Conditions", "Interventions", "Interventions",
        "Arms", "Arms", "Arms", "Primary Outcomes", "Secondary Outcomes", "Secondary Outcomes",
        "Eligibility", "Eligibility",
    ]  # fmt: skip
    by = {p.section: p for p in doc.passages}
    assert doc.passages[0].kind == "title"
    assert doc.passages[4].text.startswith("Examplimab (Drug): Given as an infusion of 10 mg/kg")
    assert doc.passages[4].text.endswith("Other names: EXM-01.")
    assert doc.passages[8].text.startswith("Placebo (Placebo comparator): Matching saline")
    assert by["Primary Outcomes"].text == (
        "Change in weekly itch score: Mean of daily 0-10 ratings. [Time frame: Baseline to week 16]"
    )
    assert "Chronic Plaque Itch; Pruritus" in by["Conditions"].text
    inclusion, exclusion = doc.passages[-2:]
    assert inclusion.text == "Inclusion criteria: Adults aged 18 to 75 years. Itch for at least 6 months."
    assert exclusion.text.startswith("Exclusion criteria: Pregnancy.")
    assert "*" not in doc.text and "\n\n" in doc.text


def test_studies_page(fixtures: Path) -> None:
    docs = _docs(fixtures / "ctgov" / "page.json")
    assert [d.uid for d in docs] == ["nct:NCT09990002", "nct:NCT09990003"]  # upper-cased id
    walking, vitamin = docs
    assert walking.title == "Walking Program After Knee Surgery"  # brief title when no official one
    assert walking.year == 2023 and walking.date is None  # "2023-05" start date: year only
    assert walking.meta["enrollment"] == 40 and walking.meta["phases"] == ["NA"]
    assert vitamin.date == dt.date(2019, 11, 4)
    assert vitamin.meta["has_results"] is True
    assert vitamin.meta["result_outcome_titles"] == ["Falls per Person-Year"]
    assert vitamin.passages[-1].section == "Results"
    assert vitamin.meta["interventions"][0]["doses"] == ["1,000 IU/day"]


def test_list_of_studies_and_gzip(fixtures: Path, tmp_path: Path) -> None:
    studies = [_raw(fixtures, "study.json"), *_raw(fixtures, "page.json")["studies"]]
    listed = tmp_path / "studies.json"
    listed.write_text(json.dumps(studies))
    packed = tmp_path / "studies.json.gz"
    packed.write_bytes(gzip.compress(listed.read_bytes()))
    uids = [d.uid for d in _docs(listed)]
    assert uids == ["nct:NCT09990001", "nct:NCT09990002", "nct:NCT09990003"]
    assert [d.uid for d in _docs(packed)] == uids
    assert get_parser("ctgov").parse is ctgov.parse


@pytest.mark.parametrize(
    ("text", "doses"),
    [
        ("10 mg/kg IV every 4 weeks", ["10 mg/kg"]),
        ("2.5-5 mg once daily, then 100 mcg", ["2.5-5 mg", "100 mcg"]),
        ("1,000 IU/day; 0.5 mL; 75 mg/m2", ["1,000 IU/day", "0.5 mL", "75 mg/m2"]),
        ("week 12 visit, 3 arms, 200mg", ["200mg"]),
        ("no dose here", []),
    ],
)
def test_find_doses(text: str, doses: list[str]) -> None:
    assert ctgov.find_doses(text) == doses


def test_sniff(fixtures: Path) -> None:
    for name in ("study.json", "page.json"):
        path = fixtures / "ctgov" / name
        assert ctgov.sniff(path.read_bytes()[:65536], path)
    assert not ctgov.sniff(b'{"questions": [{"body": "x"}]}', Path("q.json"))
    assert not ctgov.sniff(b"<PubmedArticleSet>protocolSection</PubmedArticleSet>", Path("a.xml"))


def _error(tmp_path: Path, content: str | bytes) -> ParseError:
    path = tmp_path / "bad.json"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(ParseError) as info:
        list(ctgov.parse(path))
    assert str(path) in str(info.value)
    return info.value


def test_errors_name_file_record_and_reason(tmp_path: Path, fixtures: Path) -> None:
    assert "empty" in _error(tmp_path, "  \n").reason
    broken = '{\n  "protocolSection": {\n    "identificationModule": {"nctId": }\n}'
    err = _error(tmp_path, broken)
    try:
        json.loads(broken)
    except json.JSONDecodeError as exc:
        assert f"line {exc.lineno}, column {exc.colno}" in err.reason
    assert "invalid JSON" in err.reason
    assert "expected a study object" in _error(tmp_path, "42").reason
    assert _error(tmp_path, '{"something": "else"}').record is None
    study = _raw(fixtures, "study.json")
    err = _error(tmp_path, json.dumps([study, "not a study"]))
    assert err.record == "study #2" and "JSON object" in err.reason
    del study["protocolSection"]["identificationModule"]["nctId"]
    err = _error(tmp_path, json.dumps({"studies": [study]}))
    assert err.record == "study #1" and "nctId" in err.reason
    err = _error(tmp_path, json.dumps({"studies": [{"hasResults": False}]}))
    assert err.record == "study #1" and "protocolSection" in err.reason
    study = _raw(fixtures, "study.json")
    study["protocolSection"]["conditionsModule"]["conditions"] = "Pruritus"
    err = _error(tmp_path, json.dumps(study))
    assert err.record == "NCT09990001" and "conditions" in err.reason
    assert "UTF-8" in _error(tmp_path, b'{"protocolSection": "\xff"}').reason


def test_truncated_gzip_is_a_parse_error(tmp_path: Path, fixtures: Path) -> None:
    packed = gzip.compress((fixtures / "ctgov" / "study.json").read_bytes())
    err = _error(tmp_path, packed[: len(packed) // 2])
    assert "truncated" in err.reason
