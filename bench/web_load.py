"""Web load: latency and errors of concurrent clients on the real server, SQLite and PostgreSQL.

    python -m bench.web_load [--seconds 60] [--clients 20] [--db sqlite|postgresql|both] [--pool N]

For each database: a fresh store with the illustrative demo corpus (numpy dense index, hashing
embedder), a set of real composed answers to read, a pool of draft answers to review, and one
editor and one reviewer account per writing client. The app runs under uvicorn in its own
process on 127.0.0.1 (loopback only; the server is never bound elsewhere). Then, for
``--seconds``:

* half the clients read published pages (``GET /pages/{slug}``, HTML: the seeded answers are
  approved first, so each has its public address) in a loop;
* the other half sign in (once as an editor, once as a reviewer, each with its CSRF token)
  and run review cycles on answers of their own from the pool: submit, start review, approve
  (``POST /review/{id}/...`` with ``X-CSRF-Token`` and ``expected_version``).

Reported per route: requests, p50/p95/max latency, errors (any status other than the expected
one, or a transport error). "Nothing lost": after the server stops, every transition the server
accepted (200) is looked up in the audit log (one ``submitted`` / ``review_started`` /
``approved`` row per accepted step and answer), and every approved answer's stored status is
``approved``. Before the load, ``--anonymous`` (default 1,000) anonymous GETs of public pages
(published pages and their JSON, stored question pages, one ``/ask`` in twenty) must create no
row in the editorial tables. PostgreSQL uses a private schema on ``MEDREF_TEST_PG_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), dropped afterwards. The client and the
server share this machine's cores, so the figures include the client's own CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.report import ROOT, md_table, save_json, write_section
from medref.compose.ask import Asker
from medref.compose.base import make_composer
from medref.deps import demo_files
from medref.index.sync import open_indexes, sync
from medref.ingest.pipeline import ingest_paths
from medref.models import Audience
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.review.users import User, add_user
from medref.review.workflow import transition
from medref.settings import Settings, load_settings
from medref.store.answers import AnswerStore
from medref.store.db import make_engine, read_tx
from medref.store.published import slugs_for
from medref.store.repository import Store
from medref.store.schema import answer_versions, audit_log
from medref.store.schema import answers as answers_table

HOST = "127.0.0.1"
PG_URL = os.environ.get("MEDREF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "bench password, long enough"
JSON = {"accept": "application/json"}
QUESTIONS = (
    "What is the role of CD40 ligand blockers?",
    "Is belatacept safe after a kidney transplant?",
    "What does letolizumab do in kidney transplant recipients?",
    "Does dapirolizumab pegol help lupus?",
    "What is the risk of PTLD with belatacept?",
)
STEPS = (("submit", "submitted"), ("start", "review_started"), ("approve", "approved"))
ROUTES = ("published page", "login", "submit", "start", "approve")
GOAL_P95_MS = 500.0
REQUEST_TIMEOUT = 30.0
ANONYMOUS = 1000


# ------------------------------------------------------------------ set-up
@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database URL: SQLite in ``folder``, or a private PostgreSQL schema (dropped after)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'medref.sqlite'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(PG_URL)
    schema = f"medref_bench_{uuid.uuid4().hex[:10]}"
    dsn: dict[str, Any] = dict(host=u.host, port=u.port or 5432, dbname=u.database, user=u.username)
    if u.password:
        dsn["password"] = u.password
    with psycopg.connect(**dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = u.set(drivername="postgresql+psycopg", query={"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass
class Seeded:
    read_ids: list[str]
    read_paths: list[str]  # the published pages of read_ids: /pages/<slug>
    pool: list[str]
    writers: list[tuple[str, str]]  # (editor, reviewer) per writing client
    seconds: float


def seed(settings: Settings, *, pool: int, writers: int) -> Seeded:
    """Demo corpus, answers to read (one per question and audience), the draft pool, accounts."""
    started = time.perf_counter()
    store = Store.open(settings.url)
    assert ingest_paths(store, demo_files()).ok
    indexes = open_indexes(settings)
    sync(store, indexes)
    retriever = Retriever(
        store=store, indexes=indexes, lexicon=Lexicon.load(None), settings=settings.retrieval
    )
    answers = AnswerStore(store.engine)
    try:
        asker = Asker(retriever=retriever, composer=make_composer("extractive"), answers=answers)
        read = [asker.ask(q, audience=a) for q in QUESTIONS for a in (Audience.CLINICIAN, Audience.PATIENT)]
        template = read[0]
        seed_editor, seed_reviewer = User("seed-editor", "editor"), User("seed-reviewer", "reviewer")
        for a in read:
            assert a.id is not None
            for actor, step in (
                (seed_editor, "submit"),
                (seed_reviewer, "start"),
                (seed_reviewer, "approve"),
            ):
                transition(store.engine, a.id, step, actor=actor, expected_version=1)
        slugs = slugs_for(store.engine, [a.id for a in read if a.id])
        drafts = [answers.save_new(template, created_by="bench").id for _ in range(pool)]
        accounts = []
        for i in range(writers):
            editor, reviewer = f"editor{i}", f"reviewer{i}"
            add_user(store.engine, editor, PASSWORD, role="editor")
            add_user(store.engine, reviewer, PASSWORD, role="reviewer")
            accounts.append((editor, reviewer))
    finally:
        retriever.close()
    return Seeded(
        read_ids=[a.id for a in read if a.id],
        read_paths=[f"/pages/{slugs[a.id]}" for a in read if a.id in slugs],
        pool=[d for d in drafts if d],
        writers=accounts,
        seconds=time.perf_counter() - started,
    )


@contextmanager
def server(settings: Settings, log: Path) -> Iterator[str]:
    """uvicorn with the app factory in a subprocess on 127.0.0.1 and a free port; yields its URL."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDREF_")}
    env.update(
        MEDREF_DATA_DIR=str(settings.data_dir),
        MEDREF_DATABASE_URL=settings.url,
        MEDREF_INDEX__DENSE="numpy",
        MEDREF_INDEX__EMBEDDER="hashing",
    )
    command = [sys.executable, "-m", "uvicorn", "--factory", "medref.web.app:create_app", "--host", HOST]
    command += ["--port", str(port), "--no-access-log", "--no-server-header", "--log-level", "warning"]
    url = f"http://{HOST}:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(url + "/index.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# ------------------------------------------------------------------ load
@dataclass
class Recorder:
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (answer id, audit action)
    pool_exhausted: int = 0

    async def request(
        self, route: str, client: httpx.AsyncClient, method: str, url: str, *, expect: int, **kw: Any
    ) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            response = await client.request(method, url, **kw)
        except httpx.HTTPError as exc:
            self.latency_ms[route].append((time.perf_counter() - start) * 1000)
            self._error(route, f"{type(exc).__name__}: {exc}")
            return None
        self.latency_ms[route].append((time.perf_counter() - start) * 1000)
        if response.status_code != expect:
            self._error(route, f"HTTP {response.status_code}: {response.text[:200]}")
            return None
        return response

    def _error(self, route: str, what: str) -> None:
        self.errors[route] += 1
        self.error_samples.setdefault(route, what)


async def reader(base: str, paths: list[str], offset: int, deadline: float, rec: Recorder) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT) as client:
        i = offset
        while time.monotonic() < deadline:
            await rec.request("published page", client, "GET", paths[i % len(paths)], expect=200)
            i += 1


def editorial_rows(url: str) -> int:
    """Rows of the editorial tables (items and their versions)."""
    engine = make_engine(url)
    try:
        with read_tx(engine) as conn:
            items = conn.execute(select(func.count()).select_from(answers_table)).scalar_one()
            versions = conn.execute(select(func.count()).select_from(answer_versions)).scalar_one()
    finally:
        engine.dispose()
    return int(items) + int(versions)


def anonymous_gets(base: str, seeded: Seeded, n: int) -> dict[str, int]:
    """``n`` anonymous GETs of public pages (one in twenty an /ask); returns statuses counted."""
    statuses: Counter[str] = Counter()
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT, follow_redirects=False) as client:
        for i in range(n):
            page = seeded.read_paths[i % len(seeded.read_paths)]
            if i % 20 == 19:
                q = QUESTIONS[i % len(QUESTIONS)] + (" in adults" if i % 40 == 39 else "")
                r = client.get("/ask", params={"q": q})
            elif i % 3 == 0:
                r = client.get(page + ".json")
            elif i % 3 == 1:
                r = client.get(f"/questions/{seeded.read_ids[i % len(seeded.read_ids)]}")
            else:
                r = client.get(page)
            statuses[str(r.status_code)] += 1
    return dict(statuses)


async def sign_in(base: str, username: str, rec: Recorder) -> tuple[httpx.AsyncClient, str] | None:
    client = httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT)
    form = await rec.request("login", client, "GET", "/login", expect=200, headers=JSON)
    if form is not None:
        data = {"username": username, "password": PASSWORD, "csrf_token": form.json()["csrf_token"]}
        done = await rec.request("login", client, "POST", "/login", expect=200, data=data, headers=JSON)
        if done is not None:
            return client, str(done.json()["csrf_token"])
    await client.aclose()
    return None


async def writer(
    base: str, accounts: tuple[str, str], pool: asyncio.Queue[str], deadline: float, rec: Recorder
) -> None:
    editor = await sign_in(base, accounts[0], rec)
    reviewer = await sign_in(base, accounts[1], rec)
    try:
        if editor is None or reviewer is None:
            return
        while time.monotonic() < deadline:
            try:
                answer_id = pool.get_nowait()
            except asyncio.QueueEmpty:
                rec.pool_exhausted += 1
                return
            for action, event in STEPS:
                client, token = editor if action == "submit" else reviewer
                headers = {**JSON, "x-csrf-token": token}
                url = f"/review/{answer_id}/{action}"
                data = {"expected_version": "1"}
                done = await rec.request(action, client, "POST", url, expect=200, data=data, headers=headers)
                if done is None:
                    break  # a refused step: leave this answer where it is
                rec.accepted.append((answer_id, event))
    finally:
        for signed in (editor, reviewer):
            if signed is not None:
                await signed[0].aclose()


async def load(base: str, seeded: Seeded, *, clients: int, seconds: float) -> tuple[Recorder, float]:
    assert base.startswith(f"http://{HOST}:"), "loopback only"
    rec = Recorder()
    pool: asyncio.Queue[str] = asyncio.Queue()
    for answer_id in seeded.pool:
        pool.put_nowait(answer_id)
    n_writers = min(clients // 2, len(seeded.writers))
    started = time.monotonic()
    deadline = started + seconds
    tasks = [reader(base, seeded.read_paths, i, deadline, rec) for i in range(clients - n_writers)]
    tasks += [writer(base, seeded.writers[i], pool, deadline, rec) for i in range(n_writers)]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 2 * REQUEST_TIMEOUT + 30)
    return rec, time.monotonic() - started


# ------------------------------------------------------------------ checks and figures
def verify(url: str, accepted: list[tuple[str, str]], pool: list[str]) -> dict[str, int]:
    """Compare the accepted transitions with the audit log and the stored statuses."""
    engine = make_engine(url)
    events = [event for _, event in STEPS]
    try:
        with read_tx(engine) as conn:
            rows = conn.execute(
                select(audit_log.c.answer_id, audit_log.c.action, func.count())
                .where(audit_log.c.action.in_(events), audit_log.c.answer_id.in_(pool))
                .group_by(audit_log.c.answer_id, audit_log.c.action)
            ).all()
            approved = {a for a, e in accepted if e == "approved"}
            statuses = Counter(
                r.status
                for r in conn.execute(
                    select(answers_table.c.status).where(answers_table.c.id.in_(list(approved)))
                )
            )
    finally:
        engine.dispose()
    logged = Counter({(r[0], r[1]): int(r[2]) for r in rows})
    wanted = Counter(accepted)
    return {
        "accepted": sum(wanted.values()),
        "in_audit_log": sum(logged.values()),
        "lost": sum((wanted - logged).values()),
        "unexpected": sum((logged - wanted).values()),
        "approved": len(approved),
        "approved_stored_as_approved": statuses.get("approved", 0),
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_one(kind: str, *, seconds: float, clients: int, pool: int, anonymous: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"medref-load-{kind}-") as tmp, database(kind, Path(tmp)) as url:
        folder = Path(tmp)
        settings = load_settings(
            data_dir=folder, database_url=url, index={"dense": "numpy", "embedder": "hashing"}
        )
        seeded = seed(settings, pool=pool, writers=clients // 2)
        took = f"{seeded.seconds:.0f} s"
        print(f"[{kind}] seeded {len(seeded.read_ids)} pages, {len(seeded.pool)} drafts in {took}")
        log = ROOT / "bench" / "out" / f"web_load_{kind}_server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with server(settings, log) as base:
            before = editorial_rows(url)
            gets = anonymous_gets(base, seeded, anonymous)
            created = editorial_rows(url) - before
            print(f"[{kind}] {anonymous} anonymous GETs {gets}: {created} editorial rows created")
            rec, elapsed = asyncio.run(load(base, seeded, clients=clients, seconds=seconds))
        checks = verify(url, rec.accepted, seeded.pool)
        checks["anonymous_gets"], checks["rows_from_gets"] = anonymous, created
    routes = {}
    for route in ROUTES:
        values = rec.latency_ms.get(route, [])
        routes[route] = {
            "requests": len(values),
            "per_s": len(values) / elapsed,
            "p50_ms": percentile(values, 50),
            "p95_ms": percentile(values, 95),
            "max_ms": max(values) if values else float("nan"),
            "errors": rec.errors.get(route, 0),
            "error_sample": rec.error_samples.get(route),
        }
    result = {"db": kind, "seconds": elapsed, "clients": clients, "routes": routes, "checks": checks}
    result["pool_exhausted_writers"] = rec.pool_exhausted
    print(f"[{kind}] {checks}")
    for route, r in routes.items():
        sample = f"  e.g. {r['error_sample']}" if r["error_sample"] else ""
        print(
            f"[{kind}] {route:13} n={r['requests']:6} p50={r['p50_ms']:7.1f} p95={r['p95_ms']:7.1f} ms",
            end="",
        )
        print(f" errors={r['errors']}{sample}")
    return result


ROUTE_HEADERS = ["db", "route", "requests", "per s", "p50 ms", "p95 ms", "max ms", "errors"]
ROUTE_CELLS = [("requests", "{}"), ("per_s", "{:.1f}"), ("p50_ms", "{:.1f}"), ("p95_ms", "{:.1f}")]
ROUTE_CELLS += [("max_ms", "{:.1f}"), ("errors", "{}")]
CHECK_HEADERS = ["db", "seconds", "clients", "accepted steps", "in audit log", "lost", "unexpected"]
CHECK_HEADERS += [
    "approved stored as approved",
    "errors",
    "drafts from anonymous GETs",
    "published page p95 (goal)",
]


def check_row(res: dict[str, Any]) -> list[Any]:
    c, q = res["checks"], res["routes"]["published page"]["p95_ms"]
    row = [res["db"], f"{res['seconds']:.0f}", res["clients"], c["accepted"], c["in_audit_log"], c["lost"]]
    row += [c["unexpected"], f"{c['approved_stored_as_approved']}/{c['approved']}"]
    row += [sum(r["errors"] for r in res["routes"].values())]
    row += [f"{c['rows_from_gets']} rows after {c['anonymous_gets']:,} GETs"]
    return [*row, f"{q:.0f} ms ({'met' if q < GOAL_P95_MS else 'missed'})"]


def report(results: list[dict[str, Any]], *, command: str) -> None:
    rows = [
        [res["db"], route, *(fmt.format(r[key]) for key, fmt in ROUTE_CELLS)]
        for res in results
        for route, r in res["routes"].items()
    ]
    body = f"""## Web load (`bench/web_load.py`)

The real app under uvicorn (one process) on 127.0.0.1, the demo corpus, concurrent clients
(httpx, one asyncio loop, on the same machine): half read published pages
(`GET /pages/{{slug}}`, 10 composed and approved answers), half sign in as an editor and a reviewer and run
submit -> start review -> approve cycles with CSRF tokens on answers of their own. Latencies
are per request, as the client saw them; an error is any other status than the expected one.

{md_table(ROUTE_HEADERS, rows)}

Nothing lost: every transition the server accepted (HTTP 200) was looked up in the audit log
after the run; "lost" counts accepted steps missing there, "unexpected" logged steps no client
saw accepted. Before the load, {ANONYMOUS:,} anonymous GETs of public pages (published pages, their
JSON, stored question pages, one /ask in twenty) must leave the editorial tables unchanged: a GET
never creates a draft. Goal: zero errors, nothing lost, no rows from GETs, published page p95 under
{GOAL_P95_MS:.0f} ms.

{md_table(CHECK_HEADERS, [check_row(res) for res in results])}
"""
    write_section("web-load", body, command=command)
    save_json("web_load", results)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pool", type=int, default=1500, help="draft answers to review (shared by writers)")
    parser.add_argument("--anonymous", type=int, default=ANONYMOUS, help="anonymous GETs checked for drafts")
    parser.add_argument("--no-report", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    if args.clients < 2:
        parser.error("--clients must be at least 2 (readers and writers)")
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = [
        run_one(k, seconds=args.seconds, clients=args.clients, pool=args.pool, anonymous=args.anonymous)
        for k in kinds
    ]
    if not args.no_report:
        options = f"--seconds {args.seconds:g} --clients {args.clients} --db {args.db}"
        report(results, command=f"python -m bench.web_load {options}")


if __name__ == "__main__":
    main()
