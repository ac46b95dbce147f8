import contextlib
import os
import socket
import threading
import time

import httpx
import pytest
import uvicorn

# The tests behave the same with or without unspin[neural] installed: the library's default
# restorer (and the CLI's, in subprocesses) stays on the trigram engine. tests/test_neural.py
# builds its neural restorers explicitly.
os.environ["UNSPIN_FAST"] = "1"

from unspin import Restorer  # noqa: E402
from unspin.server import Engine, create_app  # noqa: E402
from unspin.spin import Spinner  # noqa: E402


@pytest.fixture(scope="session")
def restorer() -> Restorer:
    return Restorer()


@pytest.fixture(scope="session")
def spinner() -> Spinner:
    return Spinner()


@contextlib.contextmanager
def serving(app, ready_status: int = 200):
    """Serve ``app`` with uvicorn on a free loopback port; yield its base URL once
    ``/healthz`` answers ``ready_status``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz").status_code == ready_status:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    else:
        raise RuntimeError("server never became ready")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def live_server(restorer, spinner):
    """The real app, sharing the session's models; yields its base URL."""
    with serving(create_app(engine=Engine(restorer, spinner))) as base:
        yield base
