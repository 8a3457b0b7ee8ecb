"""`manifest.json` of a trained model: what it was trained on, how, and how well it does.

Written by the training pipeline (pipeline.py) and read back by `nearcode models` and `eval`
through `Manifest`, never as a dict of string keys. The JSON keeps the layout older versions
wrote, so models trained before stay readable; fields an older manifest lacks read as empty.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .evaluation import Metrics

log = logging.getLogger(__name__)

FILE = "manifest.json"


@dataclass
class ModelInfo:
    """A model by name and the fingerprint of its weights (embed/base.py)."""

    name: str = ""
    fingerprint: str = ""


@dataclass
class PairCounts:
    """The pairs of a run: training pairs (and how many were trained on), held-out pairs and
    files, what was mined and what was left out (reason → count)."""

    train: int = 0
    trained_on: int = 0
    heldout: int = 0
    train_by_kind: dict[str, int] = field(default_factory=dict)
    files: int = 0
    heldout_files: int = 0
    dropped: dict[str, int] = field(default_factory=dict)


@dataclass
class GeneralStage:
    """The general stage: the standard library's pairs trained on before the workspace's."""

    source: str | None = None
    pairs: int = 0
    steps: int = 0
    trained_on: int = 0
    per_step: list[float] = field(default_factory=list)
    skipped: str | None = None  # why there was no general stage


@dataclass
class TrainLoss:
    """The training objective on a sample of the training pairs, before and after, and per
    step."""

    before: float = 0.0
    after: float = 0.0
    per_step: list[float] = field(default_factory=list)


@dataclass
class Steps:
    """Steps done, planned (epochs' worth), that fit the time budget, and the schedule's."""

    done: int = 0
    planned: int = 0
    fit_budget: int = 0
    schedule: int = 0
    estimated_step_seconds: float = 0.0


@dataclass
class Seconds:
    """Where the time went; `total` once the run is over."""

    mining: float = 0.0
    evaluation: float = 0.0
    batching: float = 0.0
    general_training: float = 0.0
    training: float = 0.0
    training_cpu: float = 0.0
    total: float | None = None


@dataclass
class Manifest:
    """A trained model's manifest. `fingerprint` (of the saved weights) and `activated` are
    known once the model is saved and judged; until then they are not written."""

    name: str = ""
    created: str = ""
    base_model: ModelInfo = field(default_factory=ModelInfo)
    start_model: ModelInfo = field(default_factory=ModelInfo)
    sources: list[str] = field(default_factory=list)
    data_hash: str = ""
    pairs: PairCounts = field(default_factory=PairCounts)
    metrics: dict[str, Metrics] = field(default_factory=dict)
    general: GeneralStage = field(default_factory=GeneralStage)
    train_loss: TrainLoss = field(default_factory=TrainLoss)
    steps: Steps = field(default_factory=Steps)
    seconds: Seconds = field(default_factory=Seconds)
    seed: int = 0
    args: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    fingerprint: str | None = None
    activated: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """The manifest as JSON values, in the file's layout (unknown values left out)."""
        out = asdict(self)
        out["metrics"] = {k: m.as_dict() for k, m in self.metrics.items()}
        if self.seconds.total is None:
            del out["seconds"]["total"]
        for key in ("fingerprint", "activated"):
            if out[key] is None:
                del out[key]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """A manifest read from JSON; missing or malformed parts read as empty."""

        def part(kind: type[Any], value: Any) -> Any:
            names = {f.name for f in fields(kind)}
            return kind(**{k: v for k, v in value.items() if k in names}) \
                if isinstance(value, dict) else kind()

        metrics = {k: Metrics(**v) for k, v in (data.get("metrics") or {}).items()
                   if isinstance(v, dict) and set(v) == {"mrr10", "r1", "r5", "n"}}
        return cls(
            name=str(data.get("name", "")), created=str(data.get("created", "")),
            base_model=part(ModelInfo, data.get("base_model")),
            start_model=part(ModelInfo, data.get("start_model")),
            sources=list(data.get("sources") or []), data_hash=str(data.get("data_hash", "")),
            pairs=part(PairCounts, data.get("pairs")), metrics=metrics,
            general=part(GeneralStage, data.get("general")),
            train_loss=part(TrainLoss, data.get("train_loss")),
            steps=part(Steps, data.get("steps")), seconds=part(Seconds, data.get("seconds")),
            seed=int(data.get("seed") or 0), args=dict(data.get("args") or {}),
            versions=dict(data.get("versions") or {}), fingerprint=data.get("fingerprint"),
            activated=data.get("activated"))

    def write(self, folder: Path) -> None:
        """Write `manifest.json` into the model's folder."""
        (folder / FILE).write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The manifest of the model in `folder` (OSError, ValueError when unreadable)."""
        data = json.loads((folder / FILE).read_text())
        if not isinstance(data, dict):
            raise ValueError(f"{folder / FILE} is not a JSON object")
        return cls.from_json(data)


def trained_models(root: Path) -> list[tuple[Path, Manifest]]:
    """The trained models in `root` (the models folder) with their manifests, newest first; a
    model whose manifest cannot be read is left out (with a warning)."""
    out = []
    for file in sorted(root.glob(f"*/{FILE}")) if root.is_dir() else []:
        try:
            out.append((file.parent, Manifest.read(file.parent)))
        except (OSError, ValueError, TypeError):
            log.warning("unreadable manifest %s", file)
    out.sort(key=lambda fm: fm[1].created, reverse=True)
    return out
