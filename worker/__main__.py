"""The worker alone: `python -m worker [--home DIR]`, the same as `qianfa worker`."""

import sys

from qianfa.cli import main

sys.exit(main(["worker", *sys.argv[1:]]))
