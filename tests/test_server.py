"""The HTTP API against the real app: same answers as the library, clear refusals."""

import json
import random
import threading

import httpx
import pytest
import wordfreq
from conftest import serving

from unspin.check import Detector
from unspin.server import Engine, create_app

SPUN = open("examples/spun.txt", encoding="utf-8").read().split("\n\n")[0]


def as_json(obj) -> dict:
    return json.loads(json.dumps(obj.to_dict()))


@pytest.fixture(scope="module")
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=120) as c:
        yield c


def test_health_says_ready(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_api_answers_equal_library(client, restorer, spinner):
    text = "🙂 " + SPUN  # a character outside the BMP: offsets are code points, as in Python
    assert client.post("/api/v1/restore", json={"text": text}).json() == as_json(restorer.restore(text))
    assert client.post("/api/v1/check", json={"text": text}).json() == as_json(Detector(restorer).check(text))
    spun = client.post("/api/v1/spin", json={"text": text, "rate": 0.5, "seed": 3, "style": "moby"}).json()
    assert spun == as_json(spinner.spin(text, rate=0.5, seed=3, style="moby"))
    assert spun["spun"] != text


def test_restore_spans_index_the_request_text(client):
    text = "🙂 é " + SPUN
    body = client.post("/api/v1/restore", json={"text": text}).json()
    assert body["spans"]
    for s in body["spans"]:
        assert text[s["start"] : s["end"]] == s["observed"]


def test_empty_and_unreadable_text(client):
    empty = client.post("/api/v1/restore", json={"text": ""}).json()
    assert empty["text"] == "" and empty["spans"] == []
    verdict = client.post("/api/v1/check", json={"text": "Der Hund läuft schnell über die Straße."}).json()
    assert verdict["verdict"] == "not enough English text" and verdict["probability"] is None


@pytest.mark.parametrize(
    "body, field",
    [
        (b'{"text": ', "JSON"),
        (b'{"text": 5}', "text"),
        (b'{"txt": "x"}', "text"),
        (b'["text"]', "body"),
    ],
)
def test_malformed_requests_get_422_with_a_message(client, body, field):
    r = client.post("/api/v1/restore", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert field in r.json()["detail"]


def test_spin_options_are_validated(client):
    r = client.post("/api/v1/spin", json={"text": "x", "rate": 2})
    assert r.status_code == 422 and "rate" in r.json()["detail"]
    r = client.post("/api/v1/spin", json={"text": "x", "style": "nonsense"})
    assert r.status_code == 422 and "style" in r.json()["detail"]


def test_oversized_bodies_get_413(client):
    big = json.dumps({"text": "word " * 250_000}).encode()  # 1.25 MB
    assert client.post("/api/v1/check", content=big).status_code == 413

    def chunks():  # no Content-Length: the limit is enforced while reading
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    r = client.post("/api/v1/check", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_body_limit_is_configurable(restorer, spinner):
    with serving(create_app(max_body=100, engine=Engine(restorer, spinner))) as base:
        assert httpx.post(base + "/api/v1/spin", json={"text": "a" * 200}).status_code == 413
        assert httpx.post(base + "/api/v1/spin", json={"text": "a" * 20}).status_code == 200


def test_openapi_documents_every_field(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/v1/check", "/api/v1/restore", "/api/v1/spin", "/healthz"} <= set(schema["paths"])
    models = schema["components"]["schemas"]
    for name in ("CheckResult", "Restoration", "SpinResult", "Span", "Unit", "TextRequest", "SpinRequest"):
        for field, spec in models[name]["properties"].items():
            assert spec.get("description"), f"{name}.{field} undocumented"


def test_loading_models_answer_503():
    class Stuck(Engine):
        def load(self):  # never finishes
            pass

    with serving(create_app(engine=Stuck()), ready_status=503) as base:
        assert httpx.get(base + "/healthz").json()["status"] == "loading"
        r = httpx.post(base + "/api/v1/restore", json={"text": "hello"})
        assert r.status_code == 503 and "loading" in r.json()["detail"]


def test_health_answers_while_a_long_request_runs(client, live_server):
    words = wordfreq.top_n_list("en", 20000)
    rng = random.Random(0)  # 30k words in no repeated context: seconds of work, not cache hits
    long_text = "\n\n".join(" ".join(rng.choice(words) for _ in range(100)) + "." for _ in range(300))
    done = threading.Event()

    def heavy():
        httpx.post(live_server + "/api/v1/restore", json={"text": long_text}, timeout=300)
        done.set()

    worker = threading.Thread(target=heavy)
    worker.start()
    try:
        assert not done.wait(0.5), "the long request finished too fast to test anything"
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
        assert not done.is_set(), "/healthz waited for the long request"
    finally:
        worker.join()


def test_page_and_assets_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and "<textarea" in page.text
    for ref in ("/static/app.js", "/static/app.css"):
        assert ref in page.text
        assert client.get(ref).status_code == 200
    assert "http://" not in page.text.replace("http://www.w3.org", "") and "https://" not in page.text
    assert client.get("/static/../server.py").status_code == 404
