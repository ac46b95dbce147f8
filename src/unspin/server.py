"""The HTTP API and the web page: ``unspin serve``.

A thin wrapper over the library: ``/api/v1/check``, ``/restore`` and ``/spin``
return exactly what ``Detector.check``, ``Restorer.restore`` and
``Spinner.spin`` return (their ``to_dict()``), described field by field in the
OpenAPI schema at ``/openapi.json``. The page at ``/`` is plain HTML, CSS and
JavaScript shipped in the package (``web/``), so it works with no network.

Models load once, in a background thread at start-up; until they are in
memory ``/healthz`` and the API answer 503. The engine is CPU-bound Python,
so requests run one at a time in a worker thread (threads would only contend
for the GIL); the event loop stays free, and ``/healthz`` stays responsive
under load. For more throughput run more processes (``--workers``).
"""

from __future__ import annotations

import json
import os
import threading
from importlib.resources import files
from typing import Literal

import anyio
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from . import __version__
from .check import NOT_SPUN, SPUN, UNREADABLE, Detector, neural_confirmer
from .restore import Restorer, default_restorer
from .spin import STYLES, Spinner

DEFAULT_MAX_BODY = 1_000_000  # bytes; requests over this get 413
WEB = files("unspin") / "web"
ASSETS = {"app.js": "text/javascript", "app.css": "text/css", "favicon.svg": "image/svg+xml"}


# --------------------------------------------------------------------------- schema

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextRequest(_Model):
    text: str = Field(description="The text, as UTF-8 JSON string; offsets in the answer index into it.")


class SpinRequest(TextRequest):
    rate: float = Field(0.3, ge=0, le=1, description="Share of eligible words to swap.")
    seed: int = Field(0, description="Random seed: the same text, options and seed give the same output.")
    style: Literal[STYLES] = Field("mixed", description="Which thesaurus the spinner draws from.")  # type: ignore[valid-type]
    protect_entities: bool = Field(False, description="Leave capitalised names (not sentence-initial) alone.")


class Alternative(_Model):
    text: str = Field(description="Another candidate original.")
    probability: float = Field(description="Its posterior probability among the candidates.")


class Evidence(_Model):
    lm_gain: float = Field(description="Nats the language model gains by the edit, in context.")
    channel: float = Field(description="log P(observed | suggestion) under the thesaurus channel model.")
    sources: list[str] = Field(description="Thesauri that link the observed words and the suggestion.")
    keep_probability: float = Field(description="Probability left on keeping the observed words.")


class Span(_Model):
    start: int = Field(description="Start offset, in Unicode code points, into the request's text.")
    end: int = Field(description="End offset (exclusive), in code points.")
    observed: str = Field(description="The text at [start, end): what is there now.")
    suggestion: str = Field(description="The most likely original wording.")
    confidence: float = Field(description="Probability that the suggestion is the original.")
    alternatives: list[Alternative] = Field(description="Runner-up candidates, best first.")
    evidence: Evidence | None = Field(description="Why: the scores behind the suggestion.")


class Restoration(_Model):
    text: str = Field(description="The restored text: the input with every span replaced.")
    spin_rate: float = Field(description="Estimated share of spun words, from the strong evidence.")
    spans: list[Span] = Field(description="The edits, in text order, never overlapping.")


class Unit(_Model):
    start: int = Field(description="Start offset of the paragraph or sentence, in code points.")
    end: int = Field(description="End offset (exclusive).")
    words: int = Field(description="Words in the unit.")
    probability: float | None = Field(description="Spin probability; null when too short to judge.")
    suspicious: int = Field(description="Words with strong evidence of a swap.")
    confirmed: bool = Field(False, description="Judged again by the neural restorer (`check --neural`).")


class CheckResult(_Model):
    probability: float | None = Field(
        description="Calibrated probability that the text was spun; null if too little English text."
    )
    verdict: Literal[SPUN, NOT_SPUN, UNREADABLE] = Field(description="The decision.")  # type: ignore[valid-type]
    threshold: float | None = Field(
        None, description="The verdict is spun from this probability on (set high, for few false alarms)."
    )
    suspicious_share: float = Field(description="Share of words with strong evidence of a swap.")
    words: int = Field(description="Words read.")
    confirmed: bool = Field(False, description="Judged again by the neural restorer (`check --neural`).")
    spans: list[Span] = Field(description="Suggested restorations (the flagged words), in text order.")
    paragraphs: list[Unit] = Field(description="Per-paragraph scores.")
    sentences: list[Unit] = Field(description="Per-sentence scores.")


class SpinEdit(_Model):
    orig_start: int = Field(description="Start of the swapped words in the original (code points).")
    orig_end: int = Field(description="End (exclusive) in the original.")
    spun_start: int = Field(description="Start of the substitute in the spun text.")
    spun_end: int = Field(description="End (exclusive) in the spun text.")
    original: str = Field(description="The words that were swapped.")
    substitute: str = Field(description="What replaced them.")


class SpinResult(_Model):
    original: str = Field(description="The input text.")
    spun: str = Field(description="The spun text.")
    edits: list[SpinEdit] = Field(description="Gold alignment of every swap.")


class Health(_Model):
    status: Literal["ready", "loading", "failed"] = Field(description="Whether the models are loaded.")
    version: str = Field(description="unspin's version.")
    error: str | None = Field(None, description="Why loading failed, if it did.")


# --------------------------------------------------------------------------- engine

class Engine:
    """The loaded models, shared by every request. Loads in the background."""

    def __init__(self, restorer: Restorer | None = None, spinner: Spinner | None = None) -> None:
        """Pass already-loaded models to share them (tests do); by default the library's own."""
        self.restorer, self.spinner = restorer, spinner
        self.detector: Detector | None = None
        self.error: str | None = None
        self.ready = threading.Event()
        # One request computes at a time: the engine is pure Python (GIL-bound),
        # and one thread keeps its caches free of races.
        self.limiter = anyio.CapacityLimiter(1)

    def load(self) -> None:
        try:
            self.restorer = self.restorer or default_restorer()
            # as `unspin check`: the neural restorer, where installed, judges uncertain texts again
            self.detector = Detector(self.restorer, confirmer=neural_confirmer(self.restorer))
            self.spinner = self.spinner or Spinner()
            self.spinner.spin("Warm the tables up.", style="mixed")  # builds its lazy tables now
            self.detector.check("Warm the caches up with one short sentence of plain English text.")
        except Exception as e:  # reported by /healthz; the server stays up to say so
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self.ready.set()

    def status(self) -> str:
        return "loading" if not self.ready.is_set() else "failed" if self.error else "ready"

    async def run(self, work):
        """``work()`` in the worker thread, once the models are loaded (else 503)."""
        if self.status() != "ready":
            why = f": {self.error}" if self.error else ""
            raise HTTPException(503, detail=f"models {self.status()}{why}")
        return await anyio.to_thread.run_sync(work, limiter=self.limiter)


# --------------------------------------------------------------------------- app

class BodyLimit:
    """ASGI middleware: 413 for a request body over ``max_body`` bytes.

    Checks Content-Length up front and counts the bytes of a chunked body as
    they arrive, so an oversized request is refused before it is parsed.
    """

    def __init__(self, app, max_body: int):
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await self._refuse(send)
        seen, refused = 0, False

        async def counted_receive():
            # Past the limit, answer 413 ourselves and tell the app the client left.
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                refused = True
                await self._refuse(send)
                return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send):
        body = json.dumps({"detail": f"request body over {self.max_body} bytes"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_app(max_body: int | None = None, engine: Engine | None = None) -> FastAPI:
    """The ASGI app. ``max_body`` defaults to ``$UNSPIN_MAX_BODY`` or 1 MB."""
    max_body = max_body or int(os.environ.get("UNSPIN_MAX_BODY", DEFAULT_MAX_BODY))
    engine = engine or Engine()
    app = FastAPI(
        title="unspin",
        version=__version__,
        description="Detect and undo machine-spun text. Offsets count code points of the request text.",
        docs_url=None,  # Swagger UI would load from a CDN; the schema is at /openapi.json
        redoc_url=None,
    )
    app.state.engine = engine
    app.add_middleware(BodyLimit, max_body=max_body)
    threading.Thread(target=engine.load, name="unspin-load", daemon=True).start()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = [_problem(e) for e in exc.errors()]
        return JSONResponse(
            {"detail": "; ".join(problems) or "invalid request", "errors": _jsonable(exc.errors())}, 422
        )

    @app.get("/healthz", response_model=Health, summary="Whether the models are loaded")
    def healthz() -> JSONResponse:
        body = Health(status=engine.status(), version=__version__, error=engine.error)
        return JSONResponse(body.model_dump(), 200 if body.status == "ready" else 503)

    @app.post("/api/v1/check", response_model=CheckResult, summary="Was this text spun, and where?")
    async def check(req: TextRequest) -> dict:
        return (await engine.run(lambda: engine.detector.check(req.text))).to_dict()

    @app.post("/api/v1/restore", response_model=Restoration, summary="The most likely original wording")
    async def restore(req: TextRequest) -> dict:
        return (await engine.run(lambda: engine.restorer.restore(req.text))).to_dict()

    @app.post("/api/v1/spin", response_model=SpinResult, summary="Rewrite text the way spinners do")
    async def spin(req: SpinRequest) -> dict:
        args = (req.text, req.rate, req.seed, req.style, req.protect_entities)
        return (await engine.run(lambda: engine.spinner.spin(*args))).to_dict()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse((WEB / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in ASSETS:
            raise HTTPException(404, detail="no such file")
        return Response((WEB / name).read_bytes(), media_type=ASSETS[name])

    return app


def _problem(error: dict) -> str:
    if error["type"] == "json_invalid":
        why = error.get("ctx", {}).get("error", "")
        return f"malformed JSON at character {error['loc'][-1]}" + (f": {why}" if why else "")
    return f"{'.'.join(str(p) for p in error['loc'][1:]) or 'body'}: {error['msg']}"


def _jsonable(errors: list[dict]) -> list[dict]:
    """Validation errors without their (possibly huge or non-JSON) input values."""
    return [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]


def serve(
    host: str = "127.0.0.1", port: int = 8000, workers: int = 1, max_body: int = DEFAULT_MAX_BODY
) -> None:
    import uvicorn

    os.environ["UNSPIN_MAX_BODY"] = str(max_body)  # read by each worker process's create_app
    uvicorn.run("unspin.server:create_app", factory=True, host=host, port=port, workers=workers)
