"""`python -m nearcode` is the `nearcode` command."""

import sys

from .cli.main import main

sys.exit(main())
