"""The interaction checker page and its JSON twin on the demo corpus (built-in lexicon)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_form_without_drugs(client: TestClient) -> None:
    r = client.get("/interactions")
    assert r.status_code == 200
    assert 'name="drug"' in r.text and "Check drugs taken together" in r.text


def test_page_and_json_come_from_one_report(client: TestClient) -> None:
    params = {"drug": ["belatacept", "mycophenolate mofetil"]}
    page = client.get("/interactions", params=params)
    data = client.get("/interactions.json", params=params).json()
    assert page.status_code == 200
    pair = data["pairs"][0]
    assert pair["drugs"] == ["Belatacept", "Mycophenolate mofetil"]
    assert pair["findings"], "the demo label's Drug Interactions names mycophenolate mofetil"
    finding = pair["findings"][0]
    assert finding["label_of"] == "Belatacept" and finding["severity"] == "monitor"
    assert finding["quote"]["text"] in page.text
    assert f'href="#ref-{finding["quote"]["citations"][0]}"' in page.text
    assert data["references"][0]["document"]["is_current"] is True


def test_no_interaction_note(client: TestClient) -> None:
    data = client.get("/interactions.json", params=[("drug", "belatacept"), ("drug", "prednisone")]).json()
    pair = data["pairs"][0]
    assert pair["findings"] == [] and pair["severity"] is None
    assert pair["note"].startswith("No interaction found in the sources.")
    assert "No label for Prednisone is in the store" in pair["note"]


def test_unknown_drug_is_404_with_suggestions(client: TestClient) -> None:
    r = client.get("/interactions.json", params=[("drug", "belatacep"), ("drug", "prednisone")])
    assert r.status_code == 404
    assert "belatacept" in r.text.lower()


def test_one_drug_on_json_is_422(client: TestClient) -> None:
    assert client.get("/interactions.json", params=[("drug", "belatacept")]).status_code == 422
