"""One workspace folder's index (SQLite, PostgreSQL, or an overlay of both)."""

from __future__ import annotations

import sys

# sqlite-utils imports pandas at its own import when pandas is installed (training pulls it
# in), to convert DataFrame values nearcode never hands it: about 1 s of every CLI command.
# pandas is hidden from that one import only; `import pandas` works as usual afterwards.
if "pandas" not in sys.modules and "sqlite_utils" not in sys.modules:
    sys.modules["pandas"] = None  # type: ignore[assignment]
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["pandas"]
