"""The worker alone: `python -m worker [--home DIR] [--verbose]`, the same as `qianfa worker`.

Its own composition root: the home's settings, its store, the scheduled jobs of `worker.serve`
until SIGINT or SIGTERM; it imports no other entry point."""

import signal
import sys

# A stop asked for while the process is still starting (before the event loop takes SIGTERM
# over) ends it quietly, as a stop once running does.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

from issuance.store.serving import serve_alone  # noqa: E402 (after the handler)
from worker.serve import serve  # noqa: E402

sys.exit(serve_alone("worker", {"worker.serve": serve}, sys.argv[1:]))
