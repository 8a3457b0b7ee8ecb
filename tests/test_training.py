"""`nearcode train / eval / models` with the real MiniLM on a tiny generated corpus.

One short run (3 steps of 8 pairs) is shared by the checks that need a trained model; the
refusals need no training at all. About a minute on two cores.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from nearcode.app.workspace import Workspace
from nearcode.cli import main
from nearcode.cli.options import EXIT_USAGE
from nearcode.config import Settings, default_db_path
from nearcode.embed import registry
from nearcode.train import budget as budget_module
from nearcode.train import data, general, options, pairs, pipeline, trainer
from nearcode.train.evaluation import Metrics
from nearcode.train.manifest import Manifest, PairCounts

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parent / "data" / "training"

NOUNS = ["price", "temperature", "score", "distance", "weight", "salary", "age", "height",
         "speed", "volume", "balance", "rating"]
TEMPLATES = [
    ("average_{n}", "Return the average {n} of the given records.",
     "    total = sum(r.{n} for r in records)\n    count = len(records)\n"
     "    return total / count if count else 0.0"),
    ("highest_{n}", "Find the record with the highest {n} among many.",
     "    best = None\n    for r in records:\n"
     "        if best is None or r.{n} > best.{n}:\n            best = r\n    return best"),
    ("{n}_labels", "Convert every {n} into a printable text label.",
     "    labels = []\n    for r in records:\n        labels.append(f'{n}: {{r.{n}:.2f}}')\n"
     "    return labels"),
    ("drop_missing_{n}", "Remove the records whose {n} is missing or unknown.",
     "    kept = [r for r in records if getattr(r, '{n}', None) is not None]\n"
     "    kept.sort(key=lambda r: r.{n})\n    return kept"),
]


def make_corpus(root: Path) -> Path:
    """12 modules of 4 documented functions each: 48 (docstring, code) pairs, in a
    repository (so that `nearcode train` goes ahead without asking)."""
    (root / ".git").mkdir(exist_ok=True)
    for noun in NOUNS:
        parts = [f'"""Helpers for the {noun} of records."""\n']
        for name, doc, body in TEMPLATES:
            parts.append(f'def {name.format(n=noun)}(records):\n    """{doc.format(n=noun)}"""\n'
                         f"{body.format(n=noun)}\n")
        (root / f"{noun}_stats.py").write_text("\n\n".join(parts))
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One short real training run, in a cache of its own; its model folder is copied into
    each test's cache by `with_model`."""
    corpus = make_corpus(tmp_path_factory.mktemp("corpus"))
    cache = tmp_path_factory.mktemp("train-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NEARCODE_CACHE_DIR", str(cache))
        mp.setattr(data, "MIN_TRAIN_PAIRS", 16)
        mp.setattr(data, "MIN_HELDOUT_PAIRS", 6)
        result = pipeline.train([corpus], Settings(), tiny_options())
    return {"corpus": corpus, "cache": cache, "result": result}


def tiny_options() -> options.TrainOptions:
    """3 fast steps from all-MiniLM-L6-v2, which still has something to learn on this corpus
    (the shipped code model, the default start, already ranks it almost perfectly)."""
    return options.TrainOptions(minutes=5, batch_size=8, max_steps=3, seed=1, name="tiny",
                                 learning_rate=3e-4, max_train_pairs=24, start="base")


def test_training_can_start_from_the_shipped_model() -> None:
    from nearcode.train.model import resolve_start

    assert options.TrainOptions().start == "shipped"
    assert resolve_start("shipped").name == registry.SHIPPED_MODEL_NAME
    assert resolve_start("base").name == registry.BASE_MODEL_NAME


@pytest.fixture
def with_model(trained: dict, isolated_cache: Path) -> pipeline.Result:
    shutil.copytree(trained["cache"] / "models", isolated_cache / "models")
    return trained["result"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------------------- a real run


def test_training_lowers_the_loss_and_writes_a_manifest(trained: dict) -> None:
    result: pipeline.Result = trained["result"]
    m = json.loads((result.folder / "manifest.json").read_text())
    assert m["name"] == "tiny" and result.folder.name == "tiny"
    assert m["train_loss"]["after"] < m["train_loss"]["before"]  # on the pairs trained on
    assert m["steps"]["done"] == 3 and len(m["train_loss"]["per_step"]) == 3
    assert m["pairs"]["train"] == 24 and m["pairs"]["trained_on"] == 24
    assert m["pairs"]["heldout"] >= 6
    assert m["pairs"]["train"] + m["pairs"]["heldout"] <= 48
    for key in ("base", "trained", "bm25"):
        assert set(m["metrics"][key]) == {"mrr10", "r1", "r5", "n"}
        assert m["metrics"][key]["n"] == m["pairs"]["heldout"]
    assert m["base_model"]["name"] == registry.BASE_MODEL_NAME
    assert len(m["base_model"]["fingerprint"]) == 12 and m["fingerprint"]
    assert len(m["data_hash"]) == 16 and m["seed"] == 1 and m["seconds"]["total"] > 0
    best_before = max(m["metrics"]["base"]["mrr10"], m["metrics"]["start"]["mrr10"])
    assert m["activated"] == (m["metrics"]["trained"]["mrr10"] >= best_before + pipeline.MIN_GAIN)
    assert Manifest.read(result.folder) == result.manifest  # the typed manifest, read back
    split = json.loads((result.folder / "split.json").read_text())
    assert split["heldout_files"] and not set(split["heldout_files"]) & set(split["train_files"])
    assert (result.folder / "config.json").is_file()
    assert not [p for p in result.folder.parent.iterdir() if p.name.startswith(".")]


def test_same_run_from_the_cli_leaves_other_workspaces_alone(
        trained: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`nearcode train` with the fixture's seed and steps gives the same weights; the model is
    activated for the trained workspace only, whose index is re-embedded at once, while
    another workspace keeps its model and its index."""
    monkeypatch.setattr(data, "MIN_TRAIN_PAIRS", 16)
    monkeypatch.setattr(data, "MIN_HELDOUT_PAIRS", 6)
    corpus = trained["corpus"]  # the same paths: the same pairs
    other = tmp_path / "other"
    shutil.copytree(FIXTURE / "python", other)
    (other / ".git").mkdir()
    assert run(capsys, "index", str(other))[0] == 0
    other_db = default_db_path(other)
    before = (other_db.stat().st_mtime_ns, _index_model(other_db))
    assert before[1].startswith(registry.SHIPPED_MODEL_NAME + "@")

    # the verdict is forced: this test is about where a model is activated, not whether 3
    # steps beat the base model (on these few held-out pairs the base model is already perfect)
    real_activate = pipeline.activate
    zero = Metrics(0.0, 0.0, 0.0, 1)
    monkeypatch.setattr(pipeline, "activate", lambda name, metrics, root: real_activate(
        name, {**metrics, "base": zero, "start": zero}, root))
    code, out, err = run(capsys, "train", str(corpus), "--batch-size", "8", "--max-steps", "3",
                         "--seed", "1", "--name", "tiny", "--learning-rate", "3e-4",
                         "--max-train-pairs", "24", "--minutes", "5", "--from", "base")
    assert code == 0, err
    first = trained["result"].manifest
    again = Manifest.read(registry.models_dir() / "tiny")
    assert again.data_hash == first.data_hash and again.args == first.args
    assert again.train_loss == first.train_loss and again.fingerprint == first.fingerprint
    assert "no general stage: --max-steps repeats a run exactly" in out
    assert again.general.skipped and again.general.skipped.startswith("--max-steps")
    split = registry.models_dir() / "tiny" / "split.json"
    heldout = json.loads(split.read_text())["heldout_files"]
    assert f"held out: {first.pairs.heldout} pairs from {len(heldout)} files ({heldout[0]}" \
        in out and f"the list: {split})" in out
    assert again.activated is True
    assert registry.active_name(corpus) == "tiny" and registry.global_name() is None
    assert f"activated tiny for {corpus}" in out
    # its own index was re-embedded by `train`, with the new model
    assert f"re-embedded {corpus} with tiny" in out
    assert _index_model(default_db_path(corpus)).startswith("tiny@")
    # the other workspace: same model, index not touched
    assert registry.active_name(other) is None
    assert (other_db.stat().st_mtime_ns, _index_model(other_db)) == before
    ws = Workspace([other], Settings())
    try:
        assert ws.embedder.model_id == before[1] and ws.sync().chunks_embedded == 0
    finally:
        ws.close()


def _index_model(db: Path) -> str:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'model_id'").fetchone()
    finally:
        con.close()
    return str(row[0])


def test_models_lists_and_switches(with_model: pipeline.Result, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    for root in (here, there):
        (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(here)
    registry.set_active("tiny", here)
    code, out, _ = run(capsys, "models")
    assert code == 0 and f"in {here}: tiny (this workspace's choice)" in out
    line = next(x for x in out.splitlines() if x.lstrip("* ").startswith("tiny"))
    assert line.startswith("*")
    code, out, _ = run(capsys, "models", "--json")
    data = json.loads(out)
    assert data["active"] == "tiny" and data["models"][0]["metrics"]["trained"]["n"] > 0
    assert data["global"] is None
    assert registry.active_name(there) is None  # another workspace keeps the base model
    code, out, _ = run(capsys, "models", "use", "base")
    assert code == 0 and registry.active_name(here) is None
    assert run(capsys, "models", "use", "tiny")[0] == 0 and registry.active_name(here) == "tiny"
    assert registry.active_name(there) is None and registry.global_name() is None
    code, out, _ = run(capsys, "models", "use", "tiny", "--global")
    assert code == 0 and "user-wide default model: tiny" in out
    assert registry.active_name(there) == "tiny" and registry.global_name() == "tiny"
    code, out, _ = run(capsys, "models", "use", "base", "--root", str(there))
    assert code == 0 and registry.active_name(there) is None  # pinned to the base model
    assert registry.active_name(tmp_path / "elsewhere") == "tiny"
    code, out, _ = run(capsys, "models", "use", "default", "--root", str(there))
    assert code == 0 and registry.active_name(there) == "tiny"  # the user-wide default again
    code, _, err = run(capsys, "models", "use", "nope")
    assert code == EXIT_USAGE and "no trained model named 'nope'" in err


def test_switching_models_re_embeds_the_index(with_model: pipeline.Result,
                                              tmp_path: Path) -> None:
    ws_root = tmp_path / "ws"
    shutil.copytree(FIXTURE / "python", ws_root)
    settings = Settings(model="default", backend="torch")
    registry.set_active(None)
    ws = Workspace([ws_root], settings)
    try:
        first = ws.sync()
        assert first.chunks_embedded > 0
        base_id = str(ws.folders[0].store.model_id)
        assert base_id.startswith(registry.SHIPPED_MODEL_NAME + "@")
        assert ws.sync().chunks_embedded == 0  # nothing changed
    finally:
        ws.close()
    registry.set_active("tiny")
    ws = Workspace([ws_root], settings)
    try:
        again = ws.sync()
        store = ws.folders[0].store
        assert str(store.model_id).startswith("tiny@") and store.model_id != base_id
        assert ws.folders[0].indexer.reason == (
            f"re-embedding with tiny (the index held {registry.SHIPPED_MODEL_NAME}; "
            f"{ws.counts()[1]} chunks to embed again)")
        # the old vectors were dropped, not mixed in: everything was embedded anew
        assert again.chunks_embedded == first.chunks_embedded
        assert again.chunks_cached == 0
    finally:
        ws.close()


def test_eval_cli_measures_base_trained_and_bm25(with_model: pipeline.Result, trained: dict,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "MIN_HELDOUT_PAIRS", 6)
    code, out, err = run(capsys, "eval", str(trained["corpus"]), "--model", "tiny", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(report["metrics"]) == {"base", "bm25", "tiny"}
    assert report["seed"] == 1 and report["excluded"] == 0  # the model's own split
    recorded = with_model.manifest.metrics
    assert report["metrics"]["tiny"]["mrr10"] == pytest.approx(recorded["trained"].mrr10,
                                                             abs=0.02)
    assert report["metrics"]["bm25"] == recorded["bm25"].as_dict()
    code, out, _ = run(capsys, "eval", str(trained["corpus"]), "--model", "tiny")
    assert code == 0 and "MRR@10" in out and "bm25" in out and "tiny" in out


# ----------------------------------------------------------------------------- refusals


def test_refuses_too_few_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    documented = [p for p in pairs.mine([FIXTURE], Settings()).pairs if p.kind != "name"]
    code, out, err = run(capsys, "train", str(FIXTURE))
    assert code == EXIT_USAGE and not out
    assert err.count("\n") == 2  # the phase line, then the error on one line
    assert "too few documented functions" in err and f"found {len(documented)} " in err
    assert f"need at least {data.MIN_TRAIN_PAIRS}" in err


def test_refuses_a_budget_that_fits_no_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(data, "MIN_TRAIN_PAIRS", 16)
    monkeypatch.setattr(data, "MIN_HELDOUT_PAIRS", 6)
    corpus = make_corpus(tmp_path)
    code, _, err = run(capsys, "train", str(corpus), "--minutes", "0.001", "--batch-size", "8")
    assert code == EXIT_USAGE
    assert "one training step of 8 pairs takes about" in err and "--minutes 0.001" in err
    assert not (registry.models_dir()).exists() or not any(registry.models_dir().iterdir())
    mined, split = data.mine_split([corpus], Settings(), 0)
    n = sum(1 for p in split.train if p.kind != "name")
    code, _, err = run(capsys, "train", str(corpus), "--batch-size", str(n + 1))
    assert code == EXIT_USAGE
    assert f"--batch-size {n + 1} is more than the {n} training pairs found" in err


def test_refuses_missing_model_and_taken_name(with_model: pipeline.Result,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "eval", str(FIXTURE), "--model", "/no/such/model")
    assert code == EXIT_USAGE and "not found" in err
    (registry.models_dir() / "tiny" / "config.json").unlink()  # a broken model folder
    code, _, err = run(capsys, "eval", str(FIXTURE), "--model", "tiny")
    assert code == EXIT_USAGE and "not found" in err
    with pytest.raises(data.TrainingError, match="exists already"):
        options.check_name("tiny")
    with pytest.raises(data.TrainingError, match="bad model name"):
        options.check_name("../evil")


def test_refuses_without_the_trainer_dependencies(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "accelerate" else real(name, *a))
    with pytest.raises(data.TrainingError, match="needs accelerate: pip install"):
        pipeline.train([FIXTURE], Settings(), options.TrainOptions())


def test_manifest_layout_round_trip_and_older_files(tmp_path: Path) -> None:
    m = Manifest(name="x", created="2025-01-01T00:00:00+00:00", pairs=PairCounts(train=3),
                 metrics={"base": Metrics(0.5, 0.25, 0.75, 10)}, seed=2)
    m.write(tmp_path)
    assert Manifest.read(tmp_path) == m
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert list(data) == ["name", "created", "base_model", "start_model", "sources",
                          "data_hash", "pairs", "metrics", "general", "train_loss", "steps",
                          "seconds", "seed", "args", "versions"]  # no verdict yet
    assert data["metrics"] == {"base": {"mrr10": 0.5, "r1": 0.25, "r5": 0.75, "n": 10}}
    assert "total" not in data["seconds"]
    m.fingerprint, m.activated, m.seconds.total = "abc", True, 12.5
    m.write(tmp_path)
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert list(data)[-2:] == ["fingerprint", "activated"] and data["seconds"]["total"] == 12.5
    # a manifest of an older version, with parts missing: they read as empty
    (tmp_path / "manifest.json").write_text(json.dumps({"name": "old", "pairs": {"train": 5}}))
    old = Manifest.read(tmp_path)
    assert old.pairs.train == 5 and old.metrics == {} and old.general.steps == 0
    assert old.fingerprint is None


@pytest.mark.parametrize("later_step_s, total", [(5.0, 10), (20.0, 4)])
def test_budget_judges_the_pace_after_the_first_step(monkeypatch: pytest.MonkeyPatch,
                                                    later_step_s: float, total: int) -> None:
    # 100 s of budget for 10 steps; step 1 takes 30 s (it pays for the trainer's set-up).
    # At 5 s a step after it, all 10 fit: the plan keeps them. At 20 s, step 2 ends at 50 s,
    # and 50 s more fit 2 more steps: the plan shrinks to 4.
    from types import SimpleNamespace

    clock = [0.0]
    monkeypatch.setattr(budget_module.time, "monotonic", lambda: clock[0])
    plan = budget_module.Plan(10, 1, adaptive=True)
    budget = trainer.BudgetCallback(plan, 100.0, None, [])
    control = SimpleNamespace(should_training_stop=False)
    clock[0] = 30.0
    budget.on_step_end(None, SimpleNamespace(global_step=1, max_steps=10), control)
    assert plan.total == 10 and not control.should_training_stop
    clock[0] += later_step_s
    budget.on_step_end(None, SimpleNamespace(global_step=2, max_steps=10), control)
    assert plan.total == total


def test_budget_plan_grows_back_when_the_machine_is_free_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 200 s for 20 steps. Steps 2-3 take 30 s each (something else ran): at 61 s, 139 s left
    # at 30 s a step fit 4 more, so the plan shrinks to 7. Then steps take 1 s: the average
    # pace since step 1 falls, and by step 20 (at 78 s) all 20 fit again; never more than 20.
    from types import SimpleNamespace

    clock = [0.0]
    monkeypatch.setattr(budget_module.time, "monotonic", lambda: clock[0])
    plan = budget_module.Plan(20, 1, adaptive=True)
    budget = trainer.BudgetCallback(plan, 200.0, None, [])
    control = SimpleNamespace(should_training_stop=False)
    totals = []
    for step, seconds in enumerate([1.0, 30.0, 30.0] + [1.0] * 17, start=1):
        clock[0] += seconds
        budget.on_step_end(None, SimpleNamespace(global_step=step, max_steps=20), control)
        totals.append(plan.total)
        if control.should_training_stop:
            break
    assert totals[2] == 3 + int((200 - 61) // 30) == 7
    assert max(totals) == 20 and totals[-1] == 20 and len(totals) == 20


def test_step_estimate_takes_the_fastest_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    # A probe slowed by another program must not shrink the run: of three timings the fastest
    # counts. The fakes count whitespace tokens; only the probe's duration varies.
    import torch

    clock = [0.0]
    monkeypatch.setattr(budget_module.time, "monotonic", lambda: clock[0])

    class Loss:
        mini_batch_size = 2

        def __init__(self, durations: list[float]) -> None:
            self.durations = iter(durations)

        def __call__(self, features: object, labels: object) -> torch.Tensor:
            clock[0] += next(self.durations)
            return torch.zeros((), requires_grad=True)

    class Model:
        max_seq_length = 128

        def preprocess(self, texts: list[str]) -> dict[str, torch.Tensor]:
            return {"input_ids": torch.zeros(len(texts), max(len(t.split()) for t in texts))}

        def tokenizer(self, texts: list[str], **kw: object) -> dict[str, list[list[int]]]:
            return {"input_ids": [[0] * len(t.split()) for t in texts]}

        def train(self) -> None:
            pass

        def zero_grad(self, set_to_none: bool = True) -> None:
            pass

    texts = [" ".join(["word"] * (i % 5 + 1)) for i in range(8)]
    codes = [" ".join(["code"] * (i % 7 + 2)) for i in range(8)]

    def estimate(durations: list[float]) -> float:
        return budget_module.estimate_step_seconds(Model(), Loss(durations), texts, codes, 4)

    calm = estimate([1.0, 1.0, 1.0])
    assert calm > 0
    assert estimate([9.0, 1.0, 1.0]) == estimate([1.0, 9.0, 1.0]) == calm
    assert estimate([9.0, 9.0, 9.0]) == pytest.approx(9 * calm)


def test_general_stage_trains_on_the_library_first(tmp_path: Path, isolated_cache: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """With --general-steps, the library's pairs train first, then the workspace's; the
    progress counts both; the manifest says what the stage did."""
    monkeypatch.setattr(data, "MIN_TRAIN_PAIRS", 16)
    monkeypatch.setattr(data, "MIN_HELDOUT_PAIRS", 6)
    monkeypatch.setattr(general, "library_root", lambda: FIXTURE)  # a small "library"
    (tmp_path / "ws").mkdir()
    corpus = make_corpus(tmp_path / "ws")
    library_pairs = general.library_pairs(FIXTURE, 1)
    assert len(library_pairs) >= 16 and not any(p.kind == "name" for p in library_pairs)
    seen: list[tuple[int, int]] = []
    opts = tiny_options()
    opts.general_steps, opts.name = 2, "with-general"
    result = pipeline.train([corpus], Settings(), opts,
                            lambda p: seen.append((p.step, p.steps)) if p.step else None)
    g = result.manifest.general
    assert g.source == str(FIXTURE) and g.pairs == 16
    assert g.steps == 2 and g.trained_on == 16 and len(g.per_step) == 2
    assert result.manifest.steps.done == 3  # the workspace's steps are all there
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert result.manifest.args["general_steps"] == 2
    # eval leaves out the library's files too: the model trained on them
    split = json.loads((result.folder / "split.json").read_text())
    assert {p.path for p in library_pairs[:16]} <= set(split["train_files"])
    # the stage changed the model: the same run without it ends elsewhere
    opts.general_steps, opts.name = 0, "without-general"
    plain = pipeline.train([corpus], Settings(), opts)
    assert plain.manifest.general.steps == 0
    assert plain.manifest.fingerprint != result.manifest.fingerprint
    assert plain.manifest.data_hash == result.manifest.data_hash
    # a workspace inside the library cannot have the stage: its files would train twice
    monkeypatch.setattr(general, "library_root", lambda: corpus)
    opts.general_steps, opts.name = 2, "overlapping"
    with pytest.raises(data.TrainingError, match="overlaps the standard library"):
        pipeline.train([corpus], Settings(), opts)


def test_a_model_is_activated_only_when_it_gains_more_than_chance(
        tmp_path: Path, isolated_cache: Path) -> None:
    """Activation re-embeds the workspace: a gain within MIN_GAIN of the better of the base
    and the start model is too small to pay for that (it is the size of chance)."""
    def metrics(trained: float) -> dict[str, Metrics]:
        return {"trained": Metrics(trained, 0.0, 0.0, 500), "base": Metrics(0.65, 0.0, 0.0, 500),
                "start": Metrics(0.79, 0.0, 0.0, 500)}

    activated, notes = pipeline.activate("m", metrics(0.79 + pipeline.MIN_GAIN / 2), tmp_path)
    assert not activated and "does not beat 0.790 by" in notes[0]
    assert registry.active_name(tmp_path) is None
    trained = registry.models_dir() / "m"
    trained.mkdir(parents=True)
    (trained / "config.json").write_text("{}")
    activated, notes = pipeline.activate("m", metrics(0.79 + 2 * pipeline.MIN_GAIN), tmp_path)
    assert activated and registry.active_name(tmp_path) == "m"
