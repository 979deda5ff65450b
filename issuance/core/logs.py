"""Log lines as every process writes them: ID numbers, signing tokens and QR tags masked,
whichever library logs them."""

from __future__ import annotations

import logging
import re
import sys

# Libraries whose routine lines would drown ours.
NOISY = ("httpx", "aiosqlite", "apscheduler", "psycopg.pool")


# 18-character ID numbers, but not a run inside a longer digit string such as a certificate number;
# right after a URL escape (%20, %2C) the escape's hex digits do not count as part of the run.
_ID_NUMBER = re.compile(
    r"(?:(?<![0-9A-Za-z])|(?<=%[0-9A-Fa-f]{2}))(\d{6})\d{8}\d{3}[\dXx](?![0-9A-Za-z])"
)
# Signing and upload links carry their one-time token in the path.
_SIGN_PATH = re.compile(r"(/(?:sign|upload)/)[^/?#\s\"']+")
# The certificate QR link's tag (/c/…?t=…) stands in for an ID number: mask it too.
_LINK_TAG = re.compile(r"([?&]t=)[^&#\s\"']+")


def mask_sensitive(text: str) -> str:
    """Hide ID numbers (keep the region prefix), signing tokens and QR tags in a log line."""
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}************", text)
    text = _SIGN_PATH.sub(r"\1***", text)
    return _LINK_TAG.sub(r"\1***", text)


class SensitiveDataFilter(logging.Filter):
    """Logging filter that masks ID numbers and signing tokens in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        if isinstance(record.msg, str):
            record.msg = mask_sensitive(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_sensitive(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                key: mask_sensitive(arg) if isinstance(arg, str) else arg
                for key, arg in record.args.items()
            }
        return True


def configure_logging(verbose: bool = False) -> None:
    """Log to stderr, every handler masking (DEBUG when `verbose`, else INFO)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(SensitiveDataFilter())
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
