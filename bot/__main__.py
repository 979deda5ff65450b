"""The chat part alone: `python -m bot [--home DIR] [--verbose]`, the same as `qianfa bot`.

Its own composition root: the home's settings, its store, and each configured channel
(Telegram, WeCom) until SIGINT or SIGTERM; it imports no other entry point."""

import sys

from bot.telegram.serve import serve as serve_telegram
from bot.wecom.serve import serve as serve_wecom
from issuance.store.serving import serve_alone

sys.exit(
    serve_alone(
        "bot", {"bot.telegram.serve": serve_telegram, "bot.wecom.serve": serve_wecom}, sys.argv[1:]
    )
)
