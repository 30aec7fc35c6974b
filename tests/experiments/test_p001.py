"""Paper 001's recipes on a tiny stand-in data set (the real subsets are the benchmark's):
each writes its CSV and PNG with the right columns, and the recipes share their runs."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from semcom.errors import SemcomError
from semcom.experiments import p001_common
from semcom.experiments.recipe import RecipeOptions, run_recipe


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "tiny.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (90, 28, 28), dtype=np.uint8),
        y_train=np.arange(90) % 10,
        x_test=rng.integers(0, 256, (16, 28, 28), dtype=np.uint8),
        y_test=np.arange(16) % 10,
    )
    spec = (f"npz:{path}#train", f"npz:{path}#test", "zoo:classifier-fashion-mnist")
    for name in ("mnist", "fashion-mnist", "cifar10"):
        monkeypatch.setitem(p001_common.DATASETS, name, spec)
    knobs = {
        "rounds": 1,
        "clients": 3,
        "train_images": 0,
        "eval_images": 16,
        "narrow": 4,
        "csc_width": 8,
    }
    for k, v in knobs.items():
        monkeypatch.setitem(p001_common.CPU, k, v)
    return tmp_path


def _header(path: Path) -> list[str]:
    with path.open() as f:
        return next(csv.reader(f))


def test_fig6_partitions(tiny: Path) -> None:
    files = run_recipe("001-fig6", RecipeOptions(out=tiny / "fig6", progress=False))
    assert [f.name for f in files] == ["fig6.csv", "fig6.png"]
    with files[0].open() as f:
        rows = list(csv.DictReader(f))
    assert {r["r"] for r in rows} == {"0.3", "0.6", "0.9"}
    for r in ("0.3", "0.6", "0.9"):
        assert sum(int(x["images"]) for x in rows if x["r"] == r) == 90  # every image once


def test_unknown_data_is_refused(tiny: Path) -> None:
    with pytest.raises(SemcomError, match="take --data mnist, fashion-mnist, cifar10"):
        run_recipe("001-fig6", RecipeOptions(out=tiny / "x", data="svhn", progress=False))


@pytest.mark.slow
def test_fl_recipes_write_their_figures_and_share_runs(tiny: Path) -> None:
    opts = RecipeOptions(out=tiny / "reproduce" / "001-fig11-12", progress=False)
    files = run_recipe("001-fig11-12", opts)
    assert [f.name for f in files] == [
        "fig11_12.csv",
        "fig11_12_clients.csv",
        "fig11_12.png",
        "fig11_12_clients.png",
    ]
    with files[0].open() as f:
        rows = list(csv.DictReader(f))
    assert {r["variant"] for r in rows} == {"PSFL", "FedAvg", "STC", "FTTQ", "FedPAQ"}
    runs = tiny / "reproduce" / "001-runs-cpu"
    stamp = {p.name: (p / "rounds.csv").stat().st_mtime for p in runs.iterdir()}
    fig13 = run_recipe(
        "001-fig13", RecipeOptions(out=tiny / "reproduce" / "001-fig13", progress=False)
    )
    assert [f.name for f in fig13] == ["fig13.csv", "fig13.png"]
    assert {p.name: (p / "rounds.csv").stat().st_mtime for p in runs.iterdir()} == stamp
    fig45 = run_recipe(
        "001-fig4-5", RecipeOptions(out=tiny / "reproduce" / "001-fig4-5", progress=False)
    )
    assert _header(fig45[0]) == [
        "dataset",
        "round",
        "mentor_loss",
        "student_loss",
        "mentor_accuracy",
        "student_accuracy",
    ]
    with fig45[0].open() as f:
        first = next(csv.DictReader(f))
    assert float(first["mentor_loss"]) > 0
    assert float(first["student_loss"]) > 0
