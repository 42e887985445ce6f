"""ClinicalTrials.gov: the studies a search finds, through API v2 ``/studies``.

Pages are read in order with ``pageToken`` (the previous page's ``nextPageToken``) and written
as they come (``page-00001.json``: the API's own ``{"studies": [...]}`` page, which
``medref ingest`` detects). The state file keeps each page's next token, so a killed fetch
resumes from the page after the last one written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from medref.ingest.fetch.base import (
    Fetcher,
    FetchError,
    FetchReport,
    FetchState,
    query_key,
    slug,
    tracked,
    write_atomic,
)


@dataclass
class CtgovFetcher(Fetcher):
    """Writes under ``folder`` (default ``<data_dir>/ctgov``), one subfolder per search."""

    base_url: str = "https://clinicaltrials.gov/api/v2"
    page_size: int = 100
    max_pages: int | None = None

    def fetch(
        self, *, query: str | None = None, condition: str | None = None, intervention: str | None = None
    ) -> FetchReport:
        given = {"query.term": query, "query.cond": condition, "query.intr": intervention}
        terms = {k: v.strip() for k, v in given.items() if v and v.strip()}
        if not terms:
            raise FetchError("give at least one of --query, --condition, --intervention")
        label = "-".join(slug(v, 20) for v in terms.values())
        out = self.folder / f"{label}-{query_key('ctgov', terms, self.page_size)}"
        report = FetchReport("ctgov", out)
        state = FetchState.load(out, "fetch")
        # resume after the last page on disk; a page whose next token is empty was the last one
        number, token, seen = 1, None, 0
        while state.is_done(name := f"page-{number:05d}.json") and (out / name).is_file():
            report.skipped += 1
            seen += int(state.done[name].get("studies", 0))
            token = state.done[name].get("next")
            number += 1
            if not token:
                report.notes.append("already complete")
                return report
        self.progress(seen, state.meta.get("total"))
        with tracked(self.client, report):
            while True:
                if self.max_pages and number > self.max_pages:
                    report.notes.append(f"stopped after {self.max_pages} pages (--max-pages)")
                    break
                params: dict[str, Any] = {**terms, "format": "json", "pageSize": self.page_size}
                if token:
                    params["pageToken"] = token
                elif number == 1:
                    params["countTotal"] = "true"
                data = self._page(params, number)
                if number == 1 and isinstance(data.get("totalCount"), int):
                    state.meta["total"] = data["totalCount"]
                    self.progress(0, data["totalCount"])
                studies = data.get("studies")
                if not isinstance(studies, list):
                    raise FetchError(f"page {number}: the answer has no 'studies' list")
                token = data.get("nextPageToken") or None
                path = out / f"page-{number:05d}.json"
                write_atomic(path, json.dumps({"studies": studies}, ensure_ascii=False).encode())
                state.meta.update(terms=terms)
                state.mark(path.name, {"studies": len(studies), "next": token})
                self.progress(len(studies), None)
                self.landed(report, path, len(studies))
                if not token or not studies:
                    break
                number += 1
        return report

    def _page(self, params: dict[str, Any], number: int) -> dict[str, Any]:
        response = self.client.get(f"{self.base_url.rstrip('/')}/studies", params=params)
        try:
            data = response.json()
        except ValueError as exc:
            raise FetchError(
                f"page {number}: ClinicalTrials.gov sent no JSON: {response.text[:200]!r}"
            ) from exc
        if not isinstance(data, dict):
            raise FetchError(f"page {number}: expected a JSON object")
        return data
