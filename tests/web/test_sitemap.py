"""/sitemap.xml lists every published page, topic page and reviewed monograph; robots.txt names it."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.review.publish import sitemap_xml
from tests.web.test_topics import KIDNEY, publish

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
PENDING = "Is belatacept used after liver transplantation?"


def _urls(client: TestClient) -> dict[str, str]:
    r = client.get("/sitemap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(r.text)
    out: dict[str, str] = {}
    for url in root.findall("s:url", NS):
        loc, lastmod = url.find("s:loc", NS), url.find("s:lastmod", NS)
        assert loc is not None and loc.text
        out[loc.text] = lastmod.text or "" if lastmod is not None else ""
    return out


def test_sitemap_lists_what_is_published_with_lastmod(client: TestClient, demo_app: FastAPI) -> None:
    assert list(_urls(client)) == ["http://testserver/topics"]  # nothing published yet
    publish(demo_app, PENDING, approve=False)
    publish(demo_app, KIDNEY)
    urls = _urls(client)
    page = "http://testserver/pages/is-belatacept-used-after-kidney-transplantation"
    assert page in urls and "http://testserver/topics/drug/belatacept" in urls
    assert "http://testserver/topics/condition/kidney-transplantation" in urls
    assert not any("liver" in u for u in urls)  # submitted, not approved
    assert all(urls.values())  # with a page published, every entry has its lastmod
    approved = dt.datetime.fromisoformat(urls[page].replace("Z", "+00:00"))
    assert abs(dt.datetime.now(dt.UTC) - approved) < dt.timedelta(minutes=10)
    for loc in urls:  # every listed address is a page that opens
        assert client.get(loc).status_code == 200, loc


def test_robots_points_to_the_sitemap_and_keeps_crawlers_off_per_request_pages(client: TestClient) -> None:
    body = client.get("/robots.txt").text
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Disallow: /ask" in body and "Disallow: /review" in body


def test_sitemap_xml_escapes_and_formats() -> None:
    when = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    text = sitemap_xml([("https://x.example/a?b=1&c=2", when), ("https://x.example/b", None)])
    root = ET.fromstring(text)
    urls = root.findall("s:url", NS)
    assert [u.findtext("s:loc", namespaces=NS) for u in urls] == [
        "https://x.example/a?b=1&c=2",
        "https://x.example/b",
    ]
    assert urls[0].findtext("s:lastmod", namespaces=NS) == "2026-03-04T03:06:07Z"
    assert urls[1].find("s:lastmod", NS) is None
