"""``002-fig4a`` / ``002-fig4b`` at a tiny scale: files, columns, the config hash, reuse."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from semcom.experiments import p002_fig4
from semcom.experiments.recipe import RecipeOptions, run_recipe
from semcom.qoe import QoEConfig, config_hash


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(p002_fig4.STEPS, "cpu", {"fig4a": 60, "fig4b": 40})
    monkeypatch.setattr(p002_fig4, "USERS", (2, 3))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


@pytest.mark.usefixtures("tiny")
def test_fig4a_curves_and_reference_lines(tmp_path: Path) -> None:
    files = run_recipe("002-fig4a", RecipeOptions(out=tmp_path, progress=False))
    assert [f.name for f in files] == ["fig4a.csv", "fig4a.png"]
    rows = _rows(tmp_path / "fig4a.csv")
    assert {r["agent"] for r in rows} == {"codi", "sac", "ppo", "greedy", "random"}
    assert {r["config_hash"] for r in rows} == {config_hash(QoEConfig(users=10))}
    codi = [r for r in rows if r["agent"] == "codi"]
    assert [int(r["step"]) for r in codi] == [60]  # one window of 500 steps, cut at 60
    run = tmp_path / "002-runs-cpu" / "users10" / "codi" / "seed0" / "meta.json"
    stamp = run.stat().st_mtime_ns
    run_recipe("002-fig4a", RecipeOptions(out=tmp_path, progress=False))
    assert run.stat().st_mtime_ns == stamp  # finished runs are reused


@pytest.mark.usefixtures("tiny")
def test_fig4b_one_row_per_agent_and_user_count(tmp_path: Path) -> None:
    run_recipe("002-fig4b", RecipeOptions(out=tmp_path, progress=False))
    rows = _rows(tmp_path / "fig4b.csv")
    assert len(rows) == 2 * 5
    for users in (2, 3):
        sel = [r for r in rows if r["users"] == str(users)]
        assert {r["config_hash"] for r in sel} == {config_hash(QoEConfig(users=users))}
        assert all(float(r["diffusion_steps"]) >= 1 for r in sel)
    assert (tmp_path / "fig4b.png").stat().st_size > 0
