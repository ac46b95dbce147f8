"""Load test for `unspin serve`: N concurrent clients for S seconds, on loopback only.

    .venv/bin/python bench/load_test.py                 # starts its own server, 50 clients, 20 s
    .venv/bin/python bench/load_test.py --url http://127.0.0.1:8000 --clients 10 --seconds 5

Each client posts paragraphs of the bundled examples (≈ 60–90 words each) to
the API in a loop, rotating check / restore / spin (or one ``--endpoint``),
and records each request's latency after a ``--warmup`` (requests sent during
it count only if they fail). It stops by itself after ``--seconds`` more,
waits for the requests in flight, and prints one Markdown table: requests/s,
words/s, p50/p99 latency and the error count (any non-200 answer or transport
error is an error). Exit 1 if there were errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ("check", "restore", "spin")


def paragraphs() -> list[str]:
    out = []
    for name in ("spun.txt", "original.txt"):
        text = (ROOT / "examples" / name).read_text(encoding="utf-8")
        out += [p.strip() for p in text.split("\n\n") if len(p.split()) >= 20]
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "unspin.cli", "serve", "--fast", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(url: str, timeout: float = 180) -> None:
    """Until /healthz says ready 20 times running (with --workers N, every process must be)."""
    deadline = time.monotonic() + timeout
    streak = 0
    while time.monotonic() < deadline:
        try:
            streak = streak + 1 if httpx.get(url + "/healthz", timeout=5).status_code == 200 else 0
        except httpx.TransportError:
            streak = 0
        if streak >= 20:
            return
        time.sleep(0.1)
    raise SystemExit(f"server at {url} not ready after {timeout:.0f} s")


async def client(i: int, http: httpx.AsyncClient, texts: list[str], endpoints: tuple[str, ...],
                 count_from: float, stop: float, results: list) -> None:  # fmt: skip
    n = i
    while time.monotonic() < stop:
        endpoint = endpoints[n % len(endpoints)]
        text = texts[n % len(texts)]
        body = {"text": text, "seed": n} if endpoint == "spin" else {"text": text}
        sent = time.monotonic()
        t0 = time.perf_counter()
        try:
            r = await http.post(f"/api/v1/{endpoint}", json=body)
            ok = r.status_code == 200
        except httpx.HTTPError:
            ok = False
        if sent >= count_from or not ok:  # warm-up requests count only if they fail
            results.append((endpoint, time.perf_counter() - t0, ok, len(text.split())))
        n += 1


async def run(url: str, clients: int, seconds: float, warmup: float, endpoints: tuple[str, ...]):
    """(results, seconds counted): requests sent in the first ``warmup`` seconds aren't counted."""
    texts = paragraphs()
    results: list = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        start = time.monotonic() + warmup
        stop = start + seconds
        await asyncio.gather(
            *(client(i, http, texts, endpoints, start, stop, results) for i in range(clients))
        )
        return results, time.monotonic() - start


def percentile(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] if len(xs) > 1 else xs[0]


def report(results: list, elapsed: float, args) -> int:
    print(f"`bench/load_test.py --clients {args.clients} --seconds {args.seconds:g} --warmup {args.warmup:g} "
          f"--workers {args.workers}`"
          f" on {platform.node()} ({os.cpu_count()} CPUs), {time.strftime('%Y-%m-%d')}\n")  # fmt: skip
    print("| endpoint | requests | req/s | words/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    groups = {e: [r for r in results if r[0] == e] for e in sorted({r[0] for r in results})}
    groups["all"] = results
    for name, rs in groups.items():
        lat = [r[1] * 1000 for r in rs]
        words = sum(r[3] for r in rs)
        errors = sum(not r[2] for r in rs)
        print(f"| {name} | {len(rs)} | {len(rs) / elapsed:.1f} | {words / elapsed:,.0f} | "
              f"{percentile(lat, 50):.0f} | {percentile(lat, 99):.0f} | {errors} |")  # fmt: skip
    return 1 if any(not r[2] for r in results) else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="an already running server (loopback only); default: start one")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument(
        "--warmup", type=float, default=3, help="seconds of load before counting (caches fill)"
    )
    ap.add_argument("--workers", type=int, default=1, help="server processes, when this script starts it")
    ap.add_argument("--endpoint", choices=ENDPOINTS, help="only this endpoint (default: rotate all three)")
    args = ap.parse_args()
    server = None
    url = args.url
    if url is None:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(port, args.workers)
    elif urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests run on loopback only")
    try:
        wait_ready(url)
        endpoints = (args.endpoint,) if args.endpoint else ENDPOINTS
        results, elapsed = asyncio.run(run(url, args.clients, args.seconds, args.warmup, endpoints))
    finally:
        if server:
            server.terminate()
            server.wait(30)
    if not results:
        raise SystemExit("no requests completed")
    return report(results, elapsed, args)


if __name__ == "__main__":
    sys.exit(main())
