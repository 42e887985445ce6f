"""PubMed: a search or a PMID list through NCBI E-utilities, and the annual MEDLINE files.

* ``search``: ``esearch.fcgi`` with ``usehistory=y`` leaves the result set on NCBI's history
  server (``WebEnv`` + ``query_key``); ``efetch.fcgi`` then reads it in ``retstart``/``retmax``
  batches, one XML file per batch (``batch-00001.xml``, ...).
* ``pmids``: a file of PMIDs (one per line; blank lines and ``#`` comments skipped), sent by
  POST to ``efetch.fcgi`` in batches (NCBI asks for POST beyond a couple of hundred ids).
* ``files``: the baseline or update files (``pubmedNNnNNNN.xml.gz``) from the MEDLINE release,
  each checked against its ``.md5`` file; a mismatch is deleted and fetched again.

Every output is PubMed XML that ``medref ingest`` detects. Requests carry ``tool``, the
optional ``email`` and ``api_key`` (3 requests/s without a key, 10 with: the caller's limiter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medref.ingest.fetch.base import (
    Fetcher,
    FetchError,
    FetchReport,
    FetchState,
    md5_file,
    query_key,
    slug,
    tracked,
    write_atomic,
)

_ARTICLE = re.compile(rb"<(?:PubmedArticle|PubmedBookArticle)[\s>]")
_FILE = re.compile(r'href="([^"/]*?(pubmed\d+n\d+\.xml\.gz))"')
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")
FILE_KINDS = {"baseline": "baseline", "updates": "updatefiles"}


def count_articles(xml: bytes) -> int:
    return len(_ARTICLE.findall(xml))


def read_pmids(path: Path) -> tuple[list[str], list[str]]:
    """PMIDs from a file, in order and without repeats; and the lines refused (named by line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FetchError(f"{path}: could not read the PMID list ({exc})") from exc
    ids: dict[str, None] = {}
    bad: list[str] = []
    for n, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        if text.isdigit() and 0 < int(text) < 10**9:
            ids.setdefault(str(int(text)), None)
        else:
            bad.append(f"{path}:{n}: not a PMID: {text[:40]!r}")
    return list(ids), bad


@dataclass
class PubMedFetcher(Fetcher):
    """Writes under ``folder`` (default ``<data_dir>/pubmed``)."""

    eutils_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    files_url: str = "https://ftp.ncbi.nlm.nih.gov/pubmed"
    api_key: str | None = None
    email: str | None = None
    batch_size: int = 500
    md5_attempts: int = 3
    max_records: int = 10_000  # E-utilities serves at most the first 10,000 of a PubMed search

    def _params(self, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"db": "pubmed", "tool": "medref"}
        if self.email:
            params["email"] = self.email
        if self.api_key:
            params["api_key"] = self.api_key
        params.update(extra)
        return params

    def _call(self, method: str, endpoint: str, **kwargs: Any) -> bytes:
        try:
            response = self.client.request(method, f"{self.eutils_url.rstrip('/')}/{endpoint}", **kwargs)
        except FetchError as exc:
            if "api key" in str(exc).lower() or "api_key" in str(exc).lower():
                raise FetchError(
                    f"{exc}. NCBI did not accept the API key: check MEDREF_FETCH__NCBI_API_KEY "
                    "(or unset it to fetch at 3 requests/s)"
                ) from exc
            raise
        return bytes(response.content)

    # ------------------------------------------------------------------ search
    def search(self, query: str) -> FetchReport:
        """Every article a PubMed query finds, in batches through the history server."""
        if not query.strip():
            raise FetchError("the PubMed query is empty")
        out = self.folder / f"query-{slug(query)}-{query_key('esearch', query, self.batch_size)}"
        report = FetchReport("pubmed", out)
        state = FetchState.load(out, "fetch")
        with tracked(self.client, report):
            count, webenv, key = self._esearch(query)
            if state.meta.get("count") not in (None, count):
                report.notes.append(
                    f"PubMed now finds {count} articles (was {state.meta['count']}); fetching again"
                )
                for old in out.glob("batch-*.xml"):
                    old.unlink()
                state.reset()
            state.meta.update(query=query, count=count, batch_size=self.batch_size)
            state.save()
            wanted = min(count, self.max_records)
            if wanted < count:
                report.notes.append(
                    f"PubMed finds {count:,} articles but E-utilities serves only the first {wanted:,}; "
                    "narrow the query (e.g. by date) or use --baseline/--updates for bulk data"
                )
            self.progress(0, wanted)
            for number, start in enumerate(range(0, wanted, self.batch_size), start=1):
                path = out / f"batch-{number:05d}.xml"
                if state.is_done(path.name) and path.is_file():
                    report.skipped += 1
                    self.progress(int(state.done[path.name]), None)
                    continue
                size = min(self.batch_size, wanted - start)
                xml = self._efetch(webenv, key, start, size)
                if b"<PubmedArticleSet" not in xml[:4096] and b"ERROR" in xml[:4096]:
                    # the history server no longer holds the search (it expires): search again
                    again, webenv, key = self._esearch(query)
                    report.notes.append(
                        f"the history server lost the search at batch {number}; searched again"
                    )
                    if again != count:
                        raise FetchError(
                            f"PubMed now finds {again} articles, not {count}; run the fetch again to start over"
                        )
                    xml = self._efetch(webenv, key, start, size)
                self._save_batch(xml, path, state, report, f"efetch retstart={start}")
        return report

    def _esearch(self, query: str) -> tuple[int, str, str]:
        body = self._call(
            "GET", "esearch.fcgi", params=self._params(term=query, usehistory="y", retmax=0, retmode="json")
        )
        return _esearch_result(body)

    def _efetch(self, webenv: str, key: str, start: int, size: int) -> bytes:
        params = self._params(query_key=key, WebEnv=webenv, retstart=start, retmax=size, retmode="xml")
        return self._call("GET", "efetch.fcgi", params=params)

    def _save_batch(self, xml: bytes, path: Path, state: FetchState, report: FetchReport, what: str) -> None:
        if b"<PubmedArticleSet" not in xml[:4096]:
            raise FetchError(f"{what}: E-utilities sent no PubmedArticleSet: {xml[:200]!r}")
        n = count_articles(xml)
        write_atomic(path, xml)
        state.mark(path.name, n)
        self.progress(n, None)
        self.landed(report, path, n)

    # ------------------------------------------------------------------ PMID list
    def pmids(self, path: Path) -> FetchReport:
        """The articles named in a PMID list, by POST to efetch in batches."""
        ids, bad = read_pmids(path)
        if not ids:
            raise FetchError(
                f"{path}: no PMIDs in the file" + (f" ({len(bad)} lines refused)" if bad else "")
            )
        out = self.folder / f"pmids-{slug(path.stem)}-{query_key('pmids', ids, self.batch_size)}"
        report = FetchReport("pubmed", out, errors=bad)
        state = FetchState.load(out, "fetch")
        state.meta.update(source=str(path), pmids=len(ids), batch_size=self.batch_size)
        self.progress(0, len(ids))
        with tracked(self.client, report):
            for number, start in enumerate(range(0, len(ids), self.batch_size), start=1):
                target = out / f"batch-{number:05d}.xml"
                chunk = ids[start : start + self.batch_size]
                if state.is_done(target.name) and target.is_file():
                    report.skipped += 1
                    self.progress(len(chunk), None)
                    continue
                xml = self._call("POST", "efetch.fcgi", data=self._params(id=",".join(chunk), retmode="xml"))
                self._save_batch(xml, target, state, report, f"efetch of PMIDs {chunk[0]}..{chunk[-1]}")
                if report.records and (missing := len(chunk) - count_articles(xml)) > 0:
                    report.notes.append(f"{target.name}: {missing} of {len(chunk)} PMIDs not found")
        return report

    # ------------------------------------------------------------------ MEDLINE release files
    def list_files(self, kind: str) -> list[str]:
        """The release file names in ``baseline`` or ``updates``, in order."""
        folder = FILE_KINDS[kind]
        listing = self.client.get(f"{self.files_url.rstrip('/')}/{folder}/").text
        return sorted({m.group(2) for m in _FILE.finditer(listing)})

    def files(self, kind: str, *, limit: int | None = None, start: str | None = None) -> FetchReport:
        """Download the baseline or update files (optionally the first ``limit`` from ``start`` on)."""
        if kind not in FILE_KINDS:
            raise FetchError(f"unknown MEDLINE file set {kind!r}; use baseline or updates")
        out = self.folder / FILE_KINDS[kind]
        report = FetchReport("pubmed", out)
        state = FetchState.load(out, "fetch")
        with tracked(self.client, report):
            names = self.list_files(kind)
            if not names:
                raise FetchError(f"no pubmed*.xml.gz files listed at {self.files_url}/{FILE_KINDS[kind]}/")
            if start:
                names = [n for n in names if n >= start]
            names = names[:limit] if limit else names
            self.progress(0, len(names))
            for name in names:
                target = out / name
                done = state.done.get(name)
                if isinstance(done, dict) and target.is_file() and md5_file(target) == done.get("md5"):
                    report.skipped += 1
                    self.progress(1, None)
                    continue
                try:
                    url = f"{self.files_url.rstrip('/')}/{FILE_KINDS[kind]}/{name}"
                    digest = self._download_checked(url, target, report)
                except FetchError as exc:
                    report.errors.append(str(exc))
                    self.progress(1, None)
                    continue
                state.mark(name, {"md5": digest, "bytes": target.stat().st_size})
                self.progress(1, None)
                self.landed(report, target, 1)
        return report

    def _download_checked(self, url: str, target: Path, report: FetchReport) -> str:
        """Download ``url`` and compare with ``url.md5``; a mismatch is removed and fetched again."""
        expected_text = self.client.get(url + ".md5").text
        m = _MD5.search(expected_text)
        if not m:
            raise FetchError(f"{url}.md5: no MD5 checksum in {expected_text[:120]!r}")
        expected = m.group(1).lower()
        got = ""
        for _attempt in range(self.md5_attempts):
            got = self.client.download(url, target)
            if got == expected:
                return got
            target.unlink(missing_ok=True)
            report.notes.append(f"{target.name}: MD5 {got} does not match {expected}; fetched again")
        raise FetchError(
            f"{url}: MD5 still {got} after {self.md5_attempts} downloads, expected {expected}; file refused"
        )


def _esearch_result(body: bytes) -> tuple[int, str, str]:
    import json

    try:
        data = json.loads(body)["esearchresult"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"esearch sent an unexpected answer: {body[:200]!r}") from exc
    if data.get("ERROR") or data.get("error"):
        raise FetchError(f"esearch refused the query: {data.get('ERROR') or data.get('error')}")
    try:
        return int(data["count"]), str(data.get("webenv") or ""), str(data.get("querykey") or "")
    except (KeyError, ValueError) as exc:
        raise FetchError(f"esearch answer lacks count/webenv/querykey: {body[:200]!r}") from exc
