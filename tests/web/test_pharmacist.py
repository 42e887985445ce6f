"""The pharmacist box (partials/pharmacist.html): per drug, links to its monograph's dosing and
safety sections and to the interaction checker; every link opens a real page of the app."""

from __future__ import annotations

import html
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from medref.compose.base import DISCLAIMER
from medref.models import Answer, AnswerSection, Audience, EvidenceStatus
from medref.web.render import TEMPLATES

BOX = '{% from "partials/pharmacist.html" import pharmacist_box with context %}{{ pharmacist_box(a) }}'


def _render(app: FastAPI, drugs: list[str]) -> str:
    answer = Answer(
        question="What is the dose of belatacept?",
        audience=Audience.PHARMACIST,
        evidence_status=EvidenceStatus.DIRECT,
        guidelines=AnswerSection(title="Guidelines"),
        research=AnswerSection(title="Research"),
        drugs=drugs,
        disclaimer=DISCLAIMER,
    )
    scope = {"type": "http", "app": app, "root_path": "", "path": "/", "headers": [], "query_string": b""}
    return TEMPLATES.env.from_string(BOX).render(request=Request(scope), a=answer)


def _links(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', text)]


def test_box_links_open_the_monograph_sections_and_the_checker(demo_app: FastAPI, client: TestClient) -> None:
    text = _render(demo_app, ["belatacept"])
    links = _links(text)
    assert links == [
        "/monographs/belatacept#sec-dosing",
        "/monographs/belatacept#sec-safety",
        "/monographs/belatacept",
        "/interactions?drug=belatacept",
    ]
    monograph = client.get("/monographs/belatacept")
    assert monograph.status_code == 200
    for anchor in ("sec-dosing", "sec-safety"):
        assert f'id="{anchor}"' in monograph.text, anchor
    checker = client.get(links[-1])
    assert checker.status_code == 200 and "belatacept" in checker.text


def test_box_with_two_drugs_checks_them_together(demo_app: FastAPI) -> None:
    links = _links(_render(demo_app, ["belatacept", "tacrolimus"]))
    assert links[-1] == "/interactions?drug=belatacept&drug=tacrolimus"
    assert links.count("/monographs/tacrolimus#sec-dosing") == 1


def test_no_drugs_no_box(demo_app: FastAPI) -> None:
    assert _render(demo_app, []).strip() == ""


def test_drug_names_are_escaped(demo_app: FastAPI) -> None:
    text = _render(demo_app, ['x"><script>alert(1)</script>'])
    assert "<script>" not in text
    assert "/monographs/x%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E#sec-dosing" in _links(text)
