"""``python -m accelsim``: the command-line interface."""

import sys

from accelsim.cli import main

sys.exit(main())
