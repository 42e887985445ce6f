"""DailyMed: every version of a label set, as the SPL XML ``medref ingest`` reads.

Set ids come from ``--setid`` or from a name search (``services/v2/spls.json?drug_name=``,
paged with ``page``/``pagesize`` until ``metadata.total_pages``). Each set's versions come from
``services/v2/spls/<setid>/history.json``; each version's SPL zip is downloaded from the
``zip_path`` template (``{setid}`` and ``{version}`` filled in) and its XML member is written as
``<setid>/<setid>_v0003.xml``. Images in the zip are not kept (the parser does not read them).
A set or version that fails is reported and the others go on.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
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

SETID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAX_XML_BYTES = 200 * 1024 * 1024
UNAVAILABLE = "unavailable"
_VERSION = re.compile(rb"<versionNumber\s+value=\"(\d+)\"")


def spl_version(xml: bytes) -> int | None:
    """The document's own ``versionNumber`` (the first one: the document's, before any section's)."""
    m = _VERSION.search(xml[:200_000])
    return int(m.group(1)) if m else None


PAGE_SIZE = 100


def spl_xml_from_zip(data: bytes, what: str) -> bytes:
    """The one SPL XML document inside a DailyMed zip (size-capped)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FetchError(f"{what}: the download is not a zip ({data[:60]!r})") from exc
    with archive:
        members = [i for i in archive.infolist() if i.filename.lower().endswith(".xml") and not i.is_dir()]
        if not members:
            raise FetchError(f"{what}: the zip holds no XML file ({', '.join(archive.namelist()[:5])})")
        member = max(members, key=lambda i: i.file_size)
        if member.file_size > MAX_XML_BYTES:
            raise FetchError(f"{what}: {member.filename} would expand to {member.file_size:,} bytes; refused")
        return archive.read(member)


@dataclass
class DailyMedFetcher(Fetcher):
    """Writes under ``folder`` (default ``<data_dir>/dailymed``)."""

    base_url: str = "https://dailymed.nlm.nih.gov/dailymed"
    zip_path: str = "downloadzipfile.cfm?setId={setid}&version={version}"
    latest_only: bool = False

    def _json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.client.get(f"{self.base_url.rstrip('/')}/{path}", params=params)
        try:
            data = response.json()
        except ValueError as exc:
            raise FetchError(f"{path}: DailyMed sent no JSON: {response.text[:200]!r}") from exc
        if not isinstance(data, dict):
            raise FetchError(f"{path}: expected a JSON object, got {type(data).__name__}")
        return data

    def _pages(self, path: str, params: dict[str, Any]) -> Iterable[dict[str, Any]]:
        page = 1
        while True:
            data = self._json(path, {**params, "page": page, "pagesize": PAGE_SIZE})
            rows = data.get("data") or []
            yield from (r for r in rows if isinstance(r, dict))
            meta = data.get("metadata") or {}
            try:
                total_pages = int(meta.get("total_pages") or 1)
            except (TypeError, ValueError):
                total_pages = 1
            if page >= total_pages or not rows:
                return
            page += 1

    def setids_for_name(self, name: str) -> list[str]:
        """The label sets whose generic or brand name matches ``name``."""
        found: dict[str, None] = {}
        for row in self._pages("services/v2/spls.json", {"drug_name": name}):
            if SETID.match(str(row.get("setid", ""))):
                found.setdefault(str(row["setid"]).lower(), None)
        return list(found)

    def versions(self, setid: str) -> list[int]:
        out: set[int] = set()
        for row in self._pages(f"services/v2/spls/{setid}/history.json", {}):
            try:
                out.add(int(row["spl_version"]))
            except (KeyError, TypeError, ValueError):
                continue
        return sorted(out)

    def fetch(self, *, setids: Iterable[str] = (), name: str | None = None) -> FetchReport:
        """All versions (or only the newest) of each set named or found by name."""
        wanted = [s.strip().lower() for s in setids if s.strip()]
        bad = [s for s in wanted if not SETID.match(s)]
        if bad:
            raise FetchError(f"not a DailyMed set id: {', '.join(bad)} (expected a UUID)")
        key = query_key("dailymed", sorted(wanted), name, self.latest_only)
        report = FetchReport("dailymed", self.folder)
        state = FetchState.load(self.folder, f"{slug(name or 'sets')}-{key}")
        with tracked(self.client, report):
            if name:
                found = self.setids_for_name(name)
                if not found:
                    report.notes.append(f"DailyMed lists no label for {name!r}")
                wanted += [s for s in found if s not in wanted]
            self.progress(0, len(wanted))
            for setid in wanted:
                try:
                    self._one_set(setid, state, report)
                except FetchError as exc:
                    report.errors.append(f"set {setid}: {exc}")
                self.progress(1, None)
        return report

    def _one_set(self, setid: str, state: FetchState, report: FetchReport) -> None:
        """The set's versions not yet on disk, newest first (the history is asked again each run).

        Each file is named by the ``versionNumber`` inside it. When the server answers a request
        for an older version with another one (an address that serves only the current label),
        the older versions are recorded as unavailable there and not asked for again.
        """
        versions = self.versions(setid)
        if not versions:
            raise FetchError("DailyMed lists no versions for it")
        wanted = versions[-1:] if self.latest_only else versions[::-1]
        for i, version in enumerate(wanted):
            item = f"{setid}:{version}"
            if state.is_done(item) and (
                state.done[item] == UNAVAILABLE or self._path(setid, int(state.done[item])).is_file()
            ):
                report.skipped += 1
                continue
            url = f"{self.base_url.rstrip('/')}/{self.zip_path.format(setid=setid, version=version)}"
            what = f"set {setid} version {version}"
            try:
                xml = spl_xml_from_zip(self.client.get(url).content, what)
            except FetchError as exc:
                report.errors.append(str(exc))
                continue
            got = spl_version(xml) or version
            target = self._path(setid, got)
            fresh = not target.is_file()
            if fresh:
                write_atomic(target, xml)
            if got != version:
                older = [v for v in wanted[i:] if v != got]
                for v in older:
                    state.done[f"{setid}:{v}"] = UNAVAILABLE
                report.notes.append(
                    f"set {setid}: asked for version {version}, got {got}; versions "
                    f"{', '.join(map(str, sorted(older)))} are not downloadable at {self.zip_path.split('?')[0]}"
                )
            state.mark(f"{setid}:{got}", got)  # saved before the hook, so a stop there loses nothing
            if fresh:
                self.landed(report, target, 1)
            if got != version:
                return

    def _path(self, setid: str, version: int) -> Path:
        return self.folder / setid / f"{setid}_v{version:04d}.xml"
