"""The general stage's rules: how many steps it gets, and which libraries it may not use."""

from __future__ import annotations

from pathlib import Path

from nearcode.train import general


def test_steps_take_what_the_budget_leaves_up_to_one_pass() -> None:
    fit, epoch = 150, 117
    for own in (1, 24, 33, 100, 140, 144, 145, 146, 150, 160):
        n = general.steps(fit, own, epoch)
        left = fit - own
        if left < general.MIN_STEPS:
            assert n == 0
        else:
            assert n == min(epoch, left) and own + n <= fit
    assert general.steps(fit, 10, epoch) == epoch  # a small workspace: one whole pass


def test_a_workspace_inside_or_around_the_library_overlaps(tmp_path: Path) -> None:
    lib = tmp_path / "lib" / "python3.11"
    (lib / "json").mkdir(parents=True)
    other = tmp_path / "project"
    other.mkdir()
    assert general.overlaps([lib], lib)
    assert general.overlaps([lib / "json"], lib)
    assert general.overlaps([other, tmp_path / "lib"], lib)
    assert not general.overlaps([other], lib)
    assert not general.overlaps([tmp_path / "lib" / "python3.1"], lib)


def test_library_root_is_this_pythons_standard_library() -> None:
    import os

    root = general.library_root()
    assert root is not None and Path(os.__file__).resolve().parent == root.resolve()
