"""Verification page under load: POST /verify at a fixed rate on loopback; throughput and p99.

Run from the repository root: `.venv/bin/python -m bench.verify [--rate 200] [--seconds 10]`.
The server (real app, demo data, SQLite file in a temporary home) runs in a child process; this
process sends requests on an open-loop schedule and times each from its scheduled start, so a
stalled server shows up as latency instead of silently lowering the rate.

`--compare [--quick]`: maximum throughput (closed loop, 16 keep-alive connections) of the same
server against a Starlette hello world served by uvicorn with the same settings, alternating; as
requests per CPU second of the server process, which the other jobs on a shared machine do not
move as they move the wall clock.
Uvicorn binds host and port itself, as in production, so it sets TCP_NODELAY on its sockets
(a socket made here and handed over would stall on delayed ACKs at ~40 ms a response).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlencode

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from bench.compare import Row, alternate, report
from issuance.core.records import RecordFilter
from issuance.core.settings import Secret, Settings
from issuance.store import Store
from issuance.xcert import demo
from issuance.xcert.service import Issuance
from web.app import build_app

TARGET_P99_MS = 50.0


def serve(home: str, port: int, ready: Connection) -> None:
    """Child process: demo data, then the web app on the given port until terminated."""
    asyncio.run(_serve(Path(home), port, ready))


def _server_config(app: ASGIApp, port: int) -> uvicorn.Config:
    """The same uvicorn settings for Qianfa and the hello world."""
    return uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False
    )


async def _serve(home: Path, port: int, ready: Connection) -> None:
    settings = Settings(
        home=home,
        public_url=f"http://127.0.0.1:{port}",
        secret_key=Secret("bench-secret-bench-secret-bench-secret"),
        # The per-client limit would answer 429 to a single load generator; lift it here.
        web_verify_per_minute=1e9,
        web_verify_burst=10**9,
    )
    store = await Store.open(settings.database_path)
    issuance = Issuance(store, settings)
    await demo.load(issuance)
    confirmed = await store.records(RecordFilter(status="确认签发"))
    ready.send([(r.cert_no, r.id_number) for r in confirmed])
    await uvicorn.Server(_server_config(build_app(settings, store), port)).serve()
    await store.close()


def serve_hello(port: int) -> None:
    """Child process: a Starlette hello world answering POST /verify, same server settings."""

    async def hello(request: Request) -> Response:
        return PlainTextResponse("Hello, world!")

    app = Starlette(routes=[Route("/verify", hello, methods=["POST"]), Route("/healthz", hello)])
    asyncio.run(uvicorn.Server(_server_config(app, port)).serve())


class Connections:
    """A keep-alive pool of raw HTTP/1.1 connections, cheap enough not to be the bottleneck."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self._host, self._port, self._size = host, port, size
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def open(self) -> None:
        for _ in range(self._size):
            self._idle.put_nowait(await asyncio.open_connection(self._host, self._port))

    async def close(self) -> None:
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()

    async def post(self, path: str, body: bytes, cookie: str) -> int:
        """POST a form; the response's status code (the body is read and dropped)."""
        reader, writer = await self._idle.get()
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\nCookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        self._idle.put_nowait((reader, writer))
        return status


async def load(base_url: str, pairs: list[tuple[str, str]], rate: float, count: int) -> list[float]:
    """Send `count` verifications at `rate`/s; latencies in ms (valid and not-found mixed)."""
    csrf, cookie = await _form(base_url)
    url = httpx.URL(base_url)
    pool = Connections(url.host, url.port or 80, size=64)
    await pool.open()
    latencies: list[float] = []

    async def one(index: int, due: float) -> None:
        cert_no, id_number = pairs[index % len(pairs)]
        if index % 4 == 3:
            cert_no = cert_no[:-3] + "999"  # unknown number: the not-found path
        body = urlencode({"csrf": csrf, "cert_no": cert_no, "id_number": id_number}).encode()
        status = await pool.post("/verify", body, cookie)
        if status != 200:
            raise RuntimeError(f"status {status}")
        latencies.append((time.perf_counter() - due) * 1000)

    start = time.perf_counter() + 0.05
    tasks = []
    for index in range(count):
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    await pool.close()
    return latencies


async def saturate(
    base_url: str, pairs: list[tuple[str, str]], seconds: float, connections: int = 16
) -> int:
    """Requests served in `seconds` to `connections` clients each sending as fast as answered."""
    csrf, cookie = await _form(base_url)
    url = httpx.URL(base_url)
    pool = Connections(url.host, url.port or 80, size=connections)
    await pool.open()
    done = 0
    end = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal done
        index = offset
        while time.perf_counter() < end:
            cert_no, id_number = pairs[index % len(pairs)]
            body = urlencode({"csrf": csrf, "cert_no": cert_no, "id_number": id_number})
            if await pool.post("/verify", body.encode(), cookie) != 200:
                raise RuntimeError("verification failed")
            done += 1
            index += connections

    await asyncio.gather(*(client(i) for i in range(connections)))
    await pool.close()
    return done


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def per_cpu_second(pid: int, run: Callable[[], int]) -> float:
    """Requests served per CPU second of the server process: on a shared machine the server's
    own CPU time, not the wall clock, says how many it could serve with a core to itself."""
    before = _cpu_seconds(pid)
    served = run()
    return served / (_cpu_seconds(pid) - before)


async def _form(base_url: str) -> tuple[str, str]:
    """The CSRF field and cookie header of the form (dummies for the hello world)."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        form = await client.get("/verify")
    match = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if match is None:
        return "none", "none=none"
    return match.group(1), "; ".join(f"{k}={v}" for k, v in form.cookies.items())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def compare(quick: bool) -> int:
    """Qianfa's POST /verify against the hello world, both servers up, rounds alternating."""
    seconds = 3.0 if quick else 8.0
    ports = _free_port(), _free_port()
    with tempfile.TemporaryDirectory() as home:
        receiver, sender = multiprocessing.Pipe(duplex=False)
        servers = [
            multiprocessing.Process(target=serve, args=(home, ports[0], sender), daemon=True),
            multiprocessing.Process(target=serve_hello, args=(ports[1],), daemon=True),
        ]
        for server in servers:
            server.start()
        try:
            if not receiver.poll(60):
                raise SystemExit("server did not start")
            pairs = receiver.recv()
            ours, hello = (f"http://127.0.0.1:{port}" for port in ports)
            for url in (ours, hello):
                _wait_listening(url)
                asyncio.run(saturate(url, pairs, 1.0))  # warm-up
            pids = [server.pid or 0 for server in servers]
            reference, qianfa = alternate(
                lambda: per_cpu_second(
                    pids[0], lambda: asyncio.run(saturate(ours, pairs, seconds))
                ),
                lambda: per_cpu_second(
                    pids[1], lambda: asyncio.run(saturate(hello, pairs, seconds))
                ),
            )
        finally:
            for server in servers:
                server.terminate()
                server.join(timeout=10)
    row = Row(
        "POST /verify, requests per server CPU second",
        "Starlette hello world",
        reference,
        qianfa,
        "/s",
    )
    return report([replace(row, at_least=0.4)])


def main() -> None:
    """Start the server, warm up, run the timed load, print the figures."""
    if "--compare" in sys.argv:
        raise SystemExit(compare("--quick" in sys.argv))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the timed run")
    args = parser.parse_args()
    count = int(args.rate * args.seconds)
    with tempfile.TemporaryDirectory() as home:
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        receiver, sender = multiprocessing.Pipe(duplex=False)
        server = multiprocessing.Process(target=serve, args=(home, port, sender), daemon=True)
        server.start()
        try:
            if not receiver.poll(60):
                raise SystemExit("server did not start")
            pairs = receiver.recv()
            _wait_listening(base_url)
            asyncio.run(load(base_url, pairs, args.rate, int(args.rate)))  # one second warm-up
            began = time.perf_counter()
            latencies = asyncio.run(load(base_url, pairs, args.rate, count))
            elapsed = time.perf_counter() - began
        finally:
            server.terminate()
            server.join(timeout=10)
    _report(latencies, elapsed, args.rate)


def _wait_listening(base_url: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit("server did not answer /healthz")


def _report(latencies: list[float], elapsed: float, rate: float) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
    verdict = "meets" if p99 < TARGET_P99_MS else "MISSES"
    print(
        f"POST /verify at {rate:.0f} req/s offered: {len(ordered)} requests in {elapsed:.2f} s,"
        f" {len(ordered) / elapsed:.0f} req/s served; latency p50 {p50:.1f} ms,"
        f" p99 {ordered[-1] if len(ordered) < 100 else p99:.1f} ms, max {ordered[-1]:.1f} ms"
        f" ({verdict} the p99 < {TARGET_P99_MS:.0f} ms target)"
    )


if __name__ == "__main__":
    main()
