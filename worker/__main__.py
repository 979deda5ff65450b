"""Composition root of the worker alone: `python -m worker [--home DIR]`, like `qianfa worker`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from issuance.settings import load_settings
from issuance.store import Store
from worker.serve import serve


async def main(home: Path) -> None:
    settings = load_settings(home)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    store = await Store.open(settings.database_path)
    try:
        await serve(settings, store, stop)
    finally:
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m worker", description="Qianfa worker")
    parser.add_argument("--home", default=os.environ.get("QIANFA_HOME") or "./var")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(main(Path(args.home).resolve()))
