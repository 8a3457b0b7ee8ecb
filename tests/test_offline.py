"""nearcode never phones home: indexing and searching with the real model leave no telemetry of
ONNX Runtime's behind (its Linux wheel queues usage events in ~/.cache/Microsoft and sends them
to Microsoft when it can; nearcode/__init__.py turns that off)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")

TELEMETRY = Path(".cache") / "Microsoft"


def _env(home: Path) -> dict[str, str]:
    """This environment with its own home (where telemetry would go), and no setting of ours
    or the user's for telemetry."""
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    return env


@pytest.mark.slow
def test_indexing_and_searching_write_no_telemetry(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "tax.py").write_text("def vat(price):\n    return price * 0.2\n")
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    for command in (["index"], ["search", "value added tax", "-k", "1"]):
        done = subprocess.run([sys.executable, "-m", "nearcode", *command], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    assert "tax.py" in done.stdout  # the real model ran
    assert not (home / TELEMETRY).exists()

    # the same model in onnxruntime without nearcode: what the test guards against is there
    models = sorted(Path(os.environ["NEARCODE_CACHE_DIR"]).glob("onnx/*/model-*.onnx"))
    assert models
    other = tmp_path / "other-home"
    other.mkdir()
    subprocess.run([sys.executable, "-c", "import sys, onnxruntime as ort; "
                    "ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])",
                    str(models[0])], env=_env(other), check=True, timeout=120)
    if not (other / TELEMETRY).exists():
        pytest.skip("this onnxruntime writes no telemetry: nothing to turn off")
