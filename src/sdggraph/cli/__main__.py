"""`python -m sdggraph.cli`: the same as the `sdggraph` command."""

import sys

from . import main

sys.exit(main())
