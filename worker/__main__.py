"""The worker alone: `python -m worker [--home DIR] [--verbose]`, the same as `qianfa worker`.

Its own composition root: the home's settings, its store, the scheduled jobs of `worker.serve`
until SIGINT or SIGTERM; it imports no other entry point."""

import sys

from issuance.store.serving import serve_alone
from worker.serve import serve

sys.exit(serve_alone("worker", {"worker.serve": serve}, sys.argv[1:]))
