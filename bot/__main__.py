"""The chat part alone: `python -m bot [--home DIR] [--verbose]`, the same as `qianfa bot`.

Its own composition root: the home's settings, its store, and each configured channel
(Telegram, WeCom) until SIGINT or SIGTERM; it imports no other entry point."""

import signal
import sys

# A stop asked for while the process is still starting (before the event loop takes SIGTERM
# over) ends it quietly, as a stop once running does.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

from bot.telegram.serve import serve as serve_telegram  # noqa: E402 (after the handler)
from bot.wecom.serve import serve as serve_wecom  # noqa: E402
from issuance.store.serving import serve_alone  # noqa: E402

sys.exit(
    serve_alone(
        "bot", {"bot.telegram.serve": serve_telegram, "bot.wecom.serve": serve_wecom}, sys.argv[1:]
    )
)
