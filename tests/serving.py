"""Serving for tests: an ASGI app by uvicorn on a free loopback port, in this event loop or in a
thread of its own; and an async context run in a thread of its own for synchronous tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any, Generic, TypeVar

import uvicorn

T = TypeVar("T")
R = TypeVar("R")


def loopback_socket() -> tuple[socket.socket, str]:
    """A socket bound to a free loopback port, and the base URL it will serve."""
    # An explicit IPPROTO_TCP lets asyncio set TCP_NODELAY (no 40 ms delayed-ACK stalls).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def served(server: uvicorn.Server, sock: socket.socket) -> AsyncIterator[None]:
    """`server` serving on `sock` in this event loop, from started until the block ends."""
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextmanager
def served_in_thread(server: uvicorn.Server, sock: socket.socket, what: str) -> Iterator[None]:
    """`server` serving on `sock` in a daemon thread, from started until the block ends."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    # A safety net against hanging forever, not a timing assertion.
    give_up = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > give_up:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.005)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


class InThread(Generic[T]):
    """An async context entered in a thread with its own event loop, for synchronous tests (the
    browser): `value` is what it yields, `call` runs coroutines in that loop."""

    def __init__(self, enter: Callable[[], AbstractAsyncContextManager[T]], what: str) -> None:
        self._enter = enter
        self._what = what
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.value: T | None = None

    def __enter__(self) -> InThread[T]:
        self._thread.start()
        if not self._ready.wait(timeout=60) or self._error is not None:
            raise RuntimeError(f"{self._what} did not start") from self._error
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with self._enter() as value:
                self.value = value
                self._ready.set()
                await self._stop.wait()
        except BaseException as error:
            self._error = error
            self._ready.set()
            raise

    def call(self, work: Callable[[T], Coroutine[Any, Any, R]], timeout: float = 120) -> R:
        """Run `work(value)` in the context's event loop and return its result."""
        assert self._loop is not None and self.value is not None
        return asyncio.run_coroutine_threadsafe(work(self.value), self._loop).result(timeout)
