"""Write a large PubMed/MEDLINE XML file from real PubMedQA abstracts, with new PMIDs.

    python -m bench.make_medline OUT.xml --mb 1024

Each record is a real-format PubmedArticle whose abstract is a real PubMedQA abstract
(structured labels kept); PMIDs are renumbered from 50,000,000 so every record is new.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from xml.sax.saxutils import escape

from bench.report import SHARED

PUBTYPES = [
    "Journal Article",
    "Randomized Controlled Trial",
    "Review",
    "Observational Study",
    "Meta-Analysis",
]


def _records(items: list[tuple[str, dict]], start: int):  # type: ignore[no-untyped-def]
    n = start
    while True:
        for _pmid, item in items:
            labels = item.get("LABELS") or []
            parts = []
            for i, ctx in enumerate(item["CONTEXTS"]):
                label = labels[i] if i < len(labels) else "BACKGROUND"
                parts.append(
                    f'<AbstractText Label="{escape(label)}" NlmCategory="{escape(label)}">{escape(ctx)}</AbstractText>'
                )
            parts.append(f'<AbstractText Label="CONCLUSIONS">{escape(item["LONG_ANSWER"])}</AbstractText>')
            mesh = "".join(
                f'<MeshHeading><DescriptorName UI="D{idx:06d}" MajorTopicYN="N">{escape(m)}</DescriptorName></MeshHeading>'
                for idx, m in enumerate(item.get("MESHES") or [])
            )
            year = item.get("YEAR") or "2010"
            ptype = PUBTYPES[n % len(PUBTYPES)]
            yield (
                f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{n}</PMID>'
                f'<Article PubModel="Print"><Journal><Title>Bench Journal of Medicine</Title><JournalIssue>'
                f"<PubDate><Year>{year}</Year></PubDate></JournalIssue></Journal>"
                f"<ArticleTitle>{escape(item['QUESTION'])}</ArticleTitle><Abstract>{''.join(parts)}</Abstract>"
                f"<AuthorList><Author><LastName>Bench</LastName><Initials>A</Initials></Author></AuthorList>"
                f'<Language>eng</Language><PublicationTypeList><PublicationType UI="D016428">{ptype}</PublicationType>'
                f"</PublicationTypeList></Article><MeshHeadingList>{mesh}</MeshHeadingList></MedlineCitation>"
                f'<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{n}</ArticleId></ArticleIdList></PubmedData>'
                f"</PubmedArticle>\n"
            )
            n += 1


def make(out: Path, *, mb: float | None = None, records: int | None = None) -> int:
    items = list(json.loads((SHARED / "pubmedqa" / "pqal_dev.json").read_text()).items())
    limit = int(mb * 1024 * 1024) if mb else None
    written = 0
    size = 0
    with out.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n')
        for rec in _records(items, 50_000_000):
            if (limit is not None and size >= limit) or (records is not None and written >= records):
                break
            fh.write(rec)
            size += len(rec)
            written += 1
        fh.write("</PubmedArticleSet>\n")
    return written


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--mb", type=float)
    ap.add_argument("--records", type=int)
    a = ap.parse_args()
    print(make(a.out, mb=a.mb, records=a.records), "records")
