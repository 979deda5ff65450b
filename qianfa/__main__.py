import sys

from qianfa.cli import main

sys.exit(main())
