"""One process serving a home: its parts (each `serve(settings, store, stop)`) run on one store,
opened the way every process should, until SIGINT or SIGTERM. The standalone entry points
(`python -m bot`, `python -m worker`) start here, as `qianfa bot` and `qianfa worker` do."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from issuance.core.catalog import t
from issuance.core.errors import DomainError
from issuance.core.files import os_message
from issuance.core.logs import configure_logging
from issuance.core.settings import CONFIG_NAME, Settings, SettingsError, load_settings
from issuance.store import Store
from issuance.store.opening import open_store

log = logging.getLogger(__name__)
Serve = Callable[[Settings, Store, asyncio.Event], Coroutine[Any, Any, None]]
# What runs on the opened store: each part's name and its coroutine until `stop` is set.
Servers = Callable[[Store, asyncio.Event], dict[str, Coroutine[Any, Any, None]]]


def home_of(given: str | None) -> Path:
    """The home: --home, else QIANFA_HOME, else ./var."""
    return Path(given or os.environ.get("QIANFA_HOME") or "./var").resolve()


def require_config(home: Path) -> None:
    """Refuse a home without `qianfa.toml`: a wrong --home must not grow a new, empty database."""
    if not (home / CONFIG_NAME).exists():
        raise DomainError("home.no_config", home=home)


def require_secret(settings: Settings) -> None:
    """Signed links (QR codes, CSRF) need the secret key: fail at start, not on the first
    certificate."""
    if not settings.secret_key:
        raise SettingsError("setting secret_key: empty; run `qianfa init` to generate one")


def warn_default_public_url(settings: Settings) -> None:
    """The default public_url is baked into every certificate's QR code: say so at start."""
    if urlsplit(settings.public_url).hostname in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger("qianfa").warning(
            "%s", t("run.public_url_local", url=settings.public_url)
        )


async def serve_until_stopped(settings: Settings, servers: Servers) -> None:
    """Open the store, run the servers on it until SIGINT/SIGTERM (or one fails), close it."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    store = await open_store(settings)
    try:
        tasks = [
            asyncio.create_task(running, name=name)
            for name, running in servers(store, stop).items()
        ]
        log.info("running: %s", ", ".join(task.get_name() for task in tasks) or "nothing")
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if task.exception():
                raise task.exception()  # type: ignore[misc]
    finally:
        await store.close()


def print_error(error: Exception) -> None:
    """A domain, file or settings error as two lines on stderr, Chinese first."""
    if isinstance(error, DomainError):
        print(f"错误：{error.message('zh')}\nError: {error.message('en')}", file=sys.stderr)
    elif isinstance(error, OSError):
        zh, en = (os_message(error, locale) for locale in ("zh", "en"))
        print(f"错误：{zh}\nError: {en}", file=sys.stderr)
    else:
        print(f"错误：配置有误 {error}\nError: invalid settings: {error}", file=sys.stderr)


def serve_alone(prog: str, serves: dict[str, Serve], argv: Sequence[str]) -> int:
    """`python -m PROG [--home DIR] [--verbose]`: the home's settings, then `serves` on its store
    until SIGINT/SIGTERM; the exit status."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}")
    parser.add_argument("--home", help=t("help.home"))
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        home = home_of(args.home)
        require_config(home)
        settings = load_settings(home)
        require_secret(settings)
        warn_default_public_url(settings)
        asyncio.run(
            serve_until_stopped(
                settings,
                lambda store, stop: {
                    name: serve(settings, store, stop) for name, serve in serves.items()
                },
            )
        )
    except KeyboardInterrupt:
        return 130
    except (DomainError, SettingsError, OSError) as error:
        print_error(error)
        return 1
    return 0
