"""Local stand-ins for the public services, served over real HTTP on 127.0.0.1.

Each fake speaks the *shape* of one protocol (paths, parameters, paging, error bodies) with
small invented records: PMIDs from 90000001, NCT ids NCT0999xxxx, made-up label set ids.
Nothing here reaches the internet. Used by the tests and by bench/fetch.py.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, dict[str, str], bytes]
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@dataclass
class Seen:
    at: float
    method: str
    path: str
    query: dict[str, str]


@dataclass
class FakeServer:
    """Routes ``(method, path, query, body) -> (status, headers, body)``; logs every request."""

    route: Callable[[str, str, dict[str, str], bytes], Reply]
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    def paths(self, prefix: str = "") -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(prefix)]


@contextmanager
def serve(route: Callable[[str, str, dict[str, str], bytes], Reply]) -> Iterator[FakeServer]:
    fake = FakeServer(route)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            if method == "POST" and "form" in (self.headers.get("Content-Type") or ""):
                query.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
            fake.seen.append(Seen(time.monotonic(), method, parts.path, query))
            status, headers, payload = fake.route(method, parts.path, query, body)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def ok(body: bytes | str, ctype: str = "application/json") -> Reply:
    return 200, {"Content-Type": ctype}, body.encode() if isinstance(body, str) else body


def js(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(data).encode()


def article(pmid: int) -> str:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        '<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2021</Year>'
        "</PubDate></JournalIssue><Title>Journal of Invented Tests</Title></Journal>"
        f"<ArticleTitle>Invented test article number {pmid}.</ArticleTitle>"
        f"<Abstract><AbstractText>A made-up abstract about example drug {pmid % 97}.</AbstractText>"
        "</Abstract></Article></MedlineCitation></PubmedArticle>"
    )


def article_set(pmids: list[int]) -> bytes:
    body = "".join(article(p) for p in pmids)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>{body}</PubmedArticleSet>\n'.encode()


@dataclass
class Eutils:
    """esearch (usehistory) + efetch (history or POSTed ids); an invalid key gets NCBI's 400."""

    total: int = 25
    valid_key: str = "good-key"
    throttle_first: int = 0  # answer this many requests with 429 + Retry-After first
    retry_after: str = "1"
    first: int = 90000001
    expire_after: int | None = None  # the history server forgets the search after this many efetches
    generation: int = 1
    efetches: int = 0

    @property
    def webenv(self) -> str:
        return f"MCID_test_webenv_{self.generation}"

    def pmids(self) -> list[int]:
        return list(range(self.first, self.first + self.total))

    def __call__(self, method: str, path: str, q: dict[str, str], body: bytes) -> Reply:
        if self.throttle_first > 0:
            self.throttle_first -= 1
            return js(
                {"error": "API rate limit exceeded", "count": "11"}, 429, {"Retry-After": self.retry_after}
            )
        if "api_key" in q and q["api_key"] != self.valid_key:
            return js(
                {"error": "API key invalid", "api-key": q["api_key"], "type": "invalid", "status": "unknown"},
                400,
            )
        if path.endswith("/esearch.fcgi"):
            return js({"esearchresult": {"count": str(self.total), "retmax": "0", "retstart": "0",
                                         "querykey": "1", "webenv": self.webenv, "idlist": []}})  # fmt: skip
        if path.endswith("/efetch.fcgi"):
            if "id" in q:
                wanted = [int(x) for x in q["id"].split(",")]
                return ok(article_set([p for p in wanted if p in set(self.pmids())]), "text/xml")
            self.efetches += 1
            if self.expire_after and self.efetches == self.expire_after + 1:
                self.generation += 1  # the old WebEnv is gone; esearch hands out a new one
            if q.get("WebEnv") != self.webenv or q.get("query_key") != "1":
                return ok("<eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>", "text/xml")
            start, size = int(q.get("retstart", 0)), int(q.get("retmax", 20))
            return ok(article_set(self.pmids()[start : start + size]), "text/xml")
        return js({"error": "no such endpoint"}, 404)


@dataclass
class ReleaseFiles:
    """An FTP-like listing of ``baseline/`` with .xml.gz files and their .md5 files."""

    count: int = 4
    per_file: int = 3
    corrupt_once: set[str] = field(default_factory=set)  # served wrong the first time
    always_corrupt: set[str] = field(default_factory=set)

    def name(self, i: int) -> str:
        return f"pubmed99n{i:04d}.xml.gz"

    def content(self, i: int) -> bytes:
        first = 90000001 + (i - 1) * self.per_file
        return gzip.compress(article_set(list(range(first, first + self.per_file))), mtime=0)

    def __call__(self, method: str, path: str, q: dict[str, str], body: bytes) -> Reply:
        if path.rstrip("/").endswith("/baseline"):
            links = "".join(f'<a href="{self.name(i)}">{self.name(i)}</a> <a href="{self.name(i)}.md5">md5</a>\n'
                            for i in range(1, self.count + 1))  # fmt: skip
            return ok(f"<html><body><pre>{links}</pre></body></html>", "text/html")
        name = path.rsplit("/", 1)[-1]
        for i in range(1, self.count + 1):
            if name == self.name(i) + ".md5":
                return ok(f"MD5({self.name(i)})= {hashlib.md5(self.content(i)).hexdigest()}\n", "text/plain")
            if name == self.name(i):
                data = self.content(i)
                if name in self.always_corrupt or name in self.corrupt_once:
                    self.corrupt_once.discard(name)
                    data = data[:-8] + b"\x00" * 8
                return ok(data, "application/gzip")
        return 404, {"Content-Type": "text/plain"}, b"Not Found"


def spl_xml(setid: str, version: int) -> bytes:
    text = (FIXTURES / "spl" / "velmora.xml").read_text(encoding="utf-8")
    text = text.replace("3F2A9C1E-7B44-4D0A-9E51-2C8D6F1A0B77", setid.upper())
    text = text.replace('<versionNumber value="7"/>', f'<versionNumber value="{version}"/>')
    return text.encode()


def spl_zip(setid: str, version: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{setid}_v{version}.xml", spl_xml(setid, version))
        z.writestr("image-1.jpg", b"\xff\xd8 not really an image")
    return buf.getvalue()


@dataclass
class DailyMed:
    """services/v2/spls.json by drug_name (paged), .../history.json, and the version zips."""

    sets: dict[str, int] = field(default_factory=dict)  # setid -> number of versions
    names: dict[str, list[str]] = field(default_factory=dict)  # drug name -> set ids
    page_size_cap: int = 2
    only_current: bool = False  # the zip address ignores `version` and serves the newest

    def _paged(self, rows: list[dict[str, Any]], q: dict[str, str]) -> Reply:
        size = min(int(q.get("pagesize", 100)), self.page_size_cap)
        page = int(q.get("page", 1))
        total_pages = max(1, -(-len(rows) // size))
        chunk = rows[(page - 1) * size : page * size]
        return js({"data": chunk, "metadata": {"total_elements": len(rows), "total_pages": total_pages,
                                                "current_page": page, "elements_per_page": size}})  # fmt: skip

    def __call__(self, method: str, path: str, q: dict[str, str], body: bytes) -> Reply:
        if path.endswith("/services/v2/spls.json"):
            ids = self.names.get(q.get("drug_name", "").lower(), [])
            return self._paged(
                [{"setid": s, "title": "EXAMPLE LABEL", "spl_version": self.sets[s]} for s in ids], q
            )
        if path.endswith("/history.json"):
            setid = path.split("/")[-2]
            if setid not in self.sets:
                return js({"error": "setid not found"}, 404)
            rows = [
                {"spl_version": v, "published_date": f"Jan {v:02d}, 2024"}
                for v in range(self.sets[setid], 0, -1)
            ]
            return self._paged(rows, q)
        if path.endswith("/downloadzipfile.cfm"):
            setid, version = q.get("setId", ""), int(q.get("version", 0))
            if self.only_current and setid in self.sets:
                version = self.sets[setid]
            if setid not in self.sets or not 1 <= version <= self.sets[setid]:
                return 404, {"Content-Type": "text/html"}, b"<html>File not found</html>"
            return ok(spl_zip(setid, version), "application/zip")
        return js({"error": "no such endpoint"}, 404)


def study(n: int) -> dict[str, Any]:
    nct = f"NCT0999{n:04d}"
    return {"protocolSection": {
        "identificationModule": {"nctId": nct, "briefTitle": f"Invented Study {n}"},
        "statusModule": {"overallStatus": "COMPLETED"},
        "descriptionModule": {"briefSummary": f"A made-up trial number {n} of an example treatment."},
        "conditionsModule": {"conditions": ["Example Condition"]},
    }, "hasResults": False}  # fmt: skip


@dataclass
class Ctgov:
    """/api/v2/studies with pageSize, pageToken -> nextPageToken, countTotal."""

    total: int = 7
    fail_status: int | None = None  # answer every request with this status (a refusal test)

    def __call__(self, method: str, path: str, q: dict[str, str], body: bytes) -> Reply:
        if self.fail_status:
            return self.fail_status, {"Content-Type": "text/plain"}, b"Invalid value for query.cond"
        if not path.endswith("/api/v2/studies"):
            return js({"message": "not found"}, 404)
        size = int(q.get("pageSize", 10))
        start = int(q["pageToken"].removeprefix("tok-")) if "pageToken" in q else 0
        data: dict[str, Any] = {"studies": [study(n) for n in range(start, min(start + size, self.total))]}
        if start + size < self.total:
            data["nextPageToken"] = f"tok-{start + size}"
        if q.get("countTotal") == "true":
            data["totalCount"] = self.total
        return js(data)


MESH_XML = """<?xml version="1.0"?>
<DescriptorRecordSet LanguageCode="eng">
<DescriptorRecord DescriptorClass="1"><DescriptorUI>D900001</DescriptorUI>
 <DescriptorName><String>Examplumab</String></DescriptorName>
 <PharmacologicalActionList><PharmacologicalAction><DescriptorReferredTo><DescriptorUI>D900100</DescriptorUI>
  <DescriptorName><String>Example Blocking Agents</String></DescriptorName></DescriptorReferredTo></PharmacologicalAction>
 </PharmacologicalActionList>
 <TreeNumberList><TreeNumber>D12.776.900</TreeNumber></TreeNumberList>
 <ConceptList><Concept PreferredConceptYN="Y"><ConceptUI>M900001</ConceptUI><TermList>
  <Term ConceptPreferredTermYN="Y" IsPermutedTermYN="N" LexicalTag="NON" RecordPreferredTermYN="Y">
   <TermUI>T900001</TermUI><String>Examplumab</String></Term>
  <Term ConceptPreferredTermYN="N" IsPermutedTermYN="N" LexicalTag="LAB" RecordPreferredTermYN="N">
   <TermUI>T900002</TermUI><String>EXM-101</String></Term></TermList></Concept></ConceptList>
</DescriptorRecord>
<DescriptorRecord DescriptorClass="1"><DescriptorUI>D900002</DescriptorUI>
 <DescriptorName><String>Fever, Invented</String></DescriptorName>
 <TreeNumberList><TreeNumber>C23.888.900</TreeNumber></TreeNumberList>
 <ConceptList><Concept PreferredConceptYN="Y"><ConceptUI>M900002</ConceptUI><TermList>
  <Term ConceptPreferredTermYN="Y" IsPermutedTermYN="N" LexicalTag="NON" RecordPreferredTermYN="Y">
   <TermUI>T900003</TermUI><String>Fever, Invented</String></Term></TermList></Concept></ConceptList>
</DescriptorRecord>
</DescriptorRecordSet>
"""
DRUGBANK_CSV = (
    "DrugBank ID,Accession Numbers,Common name,CAS,UNII,Synonyms,Standard InChI Key\n"
    "DB90001,,Examplumab,,,EXM-101 | Examplumabum,\n"
    "DB90002,,Otherinib,,,OTR-7,\n"
)


@dataclass
class Vocab:
    """``xmlmesh/desc<year>.gz`` and DrugBank's vocabulary zip."""

    def __call__(self, method: str, path: str, q: dict[str, str], body: bytes) -> Reply:
        if path.endswith("/xmlmesh/desc2031.gz"):
            return ok(gzip.compress(MESH_XML.encode(), mtime=0), "application/gzip")
        if path.endswith("/all-drugbank-vocabulary"):
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("drugbank vocabulary.csv", DRUGBANK_CSV)
            return ok(buf.getvalue(), "application/zip")
        return 404, {"Content-Type": "text/plain"}, b"Not Found"
