"""`python -m nearcode` is the `nearcode` command."""

import sys

from .cli import main

sys.exit(main())
