"""A client nobody here wrote: headless Neovim (Debian's 0.7) runs workspace/symbol and
nearcode/search against the real server.

Skipped when `nvim` is not installed, unless NEARCODE_REQUIRE_CLIENTS=1 (set by
scripts/test.sh, which installs it): then a missing Neovim fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"


def nvim() -> str:
    found = shutil.which("nvim")
    if found is None:
        if os.environ.get("NEARCODE_REQUIRE_CLIENTS") == "1":
            pytest.fail("nvim is not installed (scripts/test.sh installs Debian's neovim)")
        pytest.skip("nvim is not installed")
    return found


@pytest.mark.slow
def test_neovim_searches_through_lsp(tmp_path: Path) -> None:
    exe = nvim()
    ws = tmp_path / "ws"
    shutil.copytree(DATA / "server_ws", ws)
    out = tmp_path / "result.json"
    env = dict(os.environ)
    env.update({
        "NEARCODE_SERVER": "\t".join([sys.executable, "-m", "nearcode", "serve",
                                       "--model", "fake"]),
        "NEARCODE_WS": str(ws), "NEARCODE_FILE": str(ws / "pkg" / "app.py"),
        "NEARCODE_QUERY": "convert celsius to fahrenheit", "NEARCODE_OUT": str(out),
        **{f"XDG_{kind.upper()}_HOME": str(tmp_path / f"xdg-{kind}")
           for kind in ("config", "data", "state", "cache")},
    })
    proc = subprocess.run(
        [exe, "--headless", "--clean", "-u", "NONE", "-c", f"luafile {HERE / 'nvim_lsp.lua'}"],
        env=env, cwd=ws, capture_output=True, text=True, timeout=120,
    )
    assert out.is_file(), f"nvim wrote no result (rc={proc.returncode}): {proc.stderr[-2000:]}"
    result = json.loads(out.read_text())
    assert proc.returncode == 0, result
    assert result["initialized"] and result["idle"], result
    assert result["status"]["files"] == 5
    symbols = result["symbols"]
    assert symbols and symbols[0]["name"] == "TemperatureConverter.celsius_to_fahrenheit"
    assert symbols[0]["location"]["uri"] == (ws / "pkg" / "text.py").resolve().as_uri()
    hits = result["search"]["results"]
    assert 0 < len(hits) <= 5
    assert hits[0]["symbol"] == "TemperatureConverter.celsius_to_fahrenheit"
    assert result["stopped"]
