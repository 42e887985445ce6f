"""Property-based checks of the JSON routes against the app's own OpenAPI schema (schemathesis).

schemathesis reads ``/openapi.json`` from the app in-process (ASGI, no network) and, for every
GET route that answers JSON, generates requests from the documented parameters (valid ones and
invalid ones). The review routes are called as a signed-in editor. The run is bounded: a few
examples per route and mode, derandomized, no shrinking, and a pytest timeout.

* :func:`test_json_routes_never_fail_and_answer_as_documented` must pass: never a 5xx, the
  documented content type, every 2xx/3xx body valid against its documented response schema, and
  every error an :class:`~medref.web.views.ErrorPage` whose ``status`` is the HTTP status.
* :func:`test_json_routes_meet_every_schemathesis_check` runs all of schemathesis's checks (a
  documented status code for every answer, schema-valid requests accepted, error bodies as
  documented): 404 and 422 are documented as ErrorPage, questions must be non-empty and
  source kinds are an enum, so the schema says what the app does.

(schemathesis's own pytest plugin cannot take the app from a fixture under pytest 9, so the
operations are driven here with ``APIOperation.as_strategy`` and Hypothesis directly.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (the dev extra)")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import Failure, FailureGroup  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

from medref.review.users import User, add_user  # noqa: E402
from medref.review.workflow import transition  # noqa: E402
from medref.store.published import slugs_for  # noqa: E402
from medref.web.security import SESSION_COOKIE  # noqa: E402
from medref.web.views import ErrorPage  # noqa: E402

EXAMPLES = 10  # per route and generation mode
HUGE = 2**64  # no database integer column holds it
JSON_GET = re.compile(r"\.json$")
PASSWORD = "schemathesis password, long enough"
JSON = {"accept": "application/json"}
MUST_COVER = {
    "GET /index.json",
    "GET /search.json",
    "GET /questions/{answer_id}.json",
    "GET /review.json",
    "GET /review/{item_id}.json",
}

Found = dict[str, str]  # "operation: code title: first line" -> an example request (curl)


@pytest.fixture(scope="module")
def api(demo_app: FastAPI) -> tuple[Any, str, dict[str, str]]:
    """The JSON GET operations of the schema the app serves, a signed-in editor's cookie, and
    path parameters that exist (a stored answer, a drug in the demo corpus)."""
    add_user(demo_app.state.store.engine, "schema-editor", PASSWORD, role="editor")
    client = TestClient(demo_app)
    token = client.get("/login", headers=JSON).json()["csrf_token"]
    form = {"username": "schema-editor", "password": PASSWORD, "csrf_token": token}
    signed = client.post("/login", data=form, headers=JSON)
    assert signed.status_code == 200
    cookie = f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"
    draft = {"q": "What is the role of CD40 ligand blockers?", "csrf_token": signed.json()["csrf_token"]}
    asked = client.post("/drafts", data=draft, headers=JSON)  # GET /ask stores nothing: an editor saves it
    assert asked.status_code == 201, asked.text
    answer_id = asked.json()["id"]
    engine = demo_app.state.store.engine
    for actor, action in ((User("schema-editor", "editor"), "submit"), (User("r", "reviewer"), "start")):
        transition(engine, answer_id, action, actor=actor, expected_version=1)
    transition(engine, answer_id, "approve", actor=User("r", "reviewer"), expected_version=1)
    slug = slugs_for(engine, [answer_id])[answer_id]
    known = {
        "slug": slug,  # its published page
        "kind": "drug",
        "name": "belatacept",
        "answer_id": answer_id,
        "item_id": answer_id,
        "drug": "belatacept",
        "setid": "belatacept",
        "uid": "pmid:90000001",  # a demo document (its page: /documents/{uid})
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", demo_app)
    operations = [r.ok() for r in schema.get_all_operations()]
    tested = [op for op in operations if op.method.upper() == "GET" and JSON_GET.search(op.path)]
    assert {op.label for op in tested} >= MUST_COVER
    return tested, cookie, known


def path_names(operation: Any) -> list[str]:
    return re.findall(r"\{(\w+)\}", operation.path)


def integer_query_names(openapi: dict[str, Any], operation: Any) -> list[str]:
    """The query parameters documented as integers (alone or in an anyOf with null)."""
    names = []
    for param in openapi["paths"][operation.path]["get"].get("parameters", []):
        schema = param.get("schema", {})
        types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
        if param["in"] == "query" and "integer" in types:
            names.append(param["name"])
    return names


def explore(
    operation: Any,
    mode: Any,
    check: Callable[[Any, Any], None],
    cookie: str,
    *,
    path: dict[str, str] | None = None,
    query: dict[str, Any] | None = None,
    examples: int = EXAMPLES,
) -> Found:
    """Run ``check(case, response)`` on generated cases (``path``, ``query``: fixed parameters)."""
    found: Found = {}

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path, query=query))
    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        request = case.as_curl_command().replace(cookie, "<session>")
        try:  # the in-process client re-raises what the app's 500 handler would have caught
            response = case.call(headers={"cookie": cookie})
        except Exception as exc:
            key = f"server error (500): {type(exc).__name__}: {exc}"
            found.setdefault(f"{operation.label} [{mode.value}] {key}"[:300], request)
            return
        try:
            check(case, response)
        except FailureGroup as group:
            failures: list[AssertionError] = list(group.exceptions)
        except AssertionError as failure:
            failures = [failure]
        else:
            return
        for f in failures:
            if isinstance(f, Failure):
                first = next((line for line in f.message.splitlines() if line.strip()), "")
                key = f"{f.code} {f.title}: {first.strip()}"
            else:
                key = str(f).splitlines()[0] if str(f) else type(f).__name__
            found.setdefault(f"{operation.label} [{mode.value}] {key}"[:300], request)

    try:
        run()
    except Unsatisfiable:  # nothing invalid to send (a route without parameters)
        if mode is not schemathesis.GenerationMode.NEGATIVE:
            raise
    return found


def report(found: Found) -> str:
    return "\n".join(f"{problem}\n    {request}" for problem, request in found.items())


def essential(case: Any, response: Any) -> None:
    """No 5xx; the documented content type; success bodies as documented; errors as ErrorPage."""
    checks = [not_a_server_error, content_type_conformance]
    if response.status_code < 400:
        checks.append(response_schema_conformance)
    case.validate_response(response, checks=checks)
    if response.status_code >= 400:
        error = ErrorPage.model_validate(response.json())
        assert error.status == response.status_code, (
            f"ErrorPage.status {error.status} on a {response.status_code}"
        )
        assert error.detail, "an error says what went wrong"


def everything(case: Any, response: Any) -> None:
    case.validate_response(response)


@pytest.mark.timeout(90)
def test_json_routes_never_fail_and_answer_as_documented(
    api: tuple[Any, str, dict[str, str]], demo_app: FastAPI
) -> None:
    operations, cookie, known = api
    openapi = demo_app.openapi()
    positive, negative = schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE
    found: Found = {}
    for op in operations:
        for mode in (positive, negative):
            found.update(explore(op, mode, essential, cookie))
        names = path_names(op)
        if names:  # and on things that exist, so the success bodies are checked too
            assert set(names) <= set(known), f"no known value for {op.label}"
            path = {n: known[n] for n in names}
            found.update(explore(op, positive, essential, cookie, path=path))
        for name in integer_query_names(openapi, op):  # a number past 64 bits: 4xx, never a 500
            path = {n: known[n] for n in path_names(op)}
            found.update(explore(op, positive, essential, cookie, path=path, query={name: HUGE}, examples=3))
    assert not found, report(found)


@pytest.mark.timeout(90)
def test_json_routes_meet_every_schemathesis_check(api: tuple[Any, str, dict[str, str]]) -> None:
    operations, cookie, _ = api
    mode = schemathesis.GenerationMode.POSITIVE
    found = {k: v for op in operations for k, v in explore(op, mode, everything, cookie).items()}
    assert not found, report(found)
