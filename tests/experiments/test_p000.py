"""Paper 000's scenario recipes: every scenario runs on Flower, runs are reused, the
figure rows have what the plots need."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semcom.data.health import synthesize_health_records
from semcom.errors import SemcomError
from semcom.experiments.p000_scenarios import (
    SCENARIO_ORDER,
    epochs_to_reach,
    fig4_rows,
    fig5_rows,
    scenario_runs,
)
from semcom.experiments.recipe import RecipeOptions


def test_epochs_to_reach() -> None:
    assert epochs_to_reach(np.array([1.0, 0.5, 0.3, 0.3])) == 3
    assert epochs_to_reach(np.array([0.3, 0.9, 0.3])) == 1


def test_missing_data_is_a_clear_error(tmp_path: Path) -> None:
    options = RecipeOptions(out=tmp_path, data=str(tmp_path / "none.csv"), progress=False)
    with pytest.raises(SemcomError, match="pass --data"):
        scenario_runs(options, rounds=1)


def test_a_bad_variant_fails_before_any_run(tmp_path: Path) -> None:
    data = tmp_path / "r.csv"
    synthesize_health_records(60, seed=0).to_csv(data)
    options = RecipeOptions(out=tmp_path, data=str(data), progress=False)
    with pytest.raises(SemcomError, match="variant 'x'"):
        scenario_runs(options, rounds=1, variants={"x": ("fles", {"epochz": 2})})
    with pytest.raises(SemcomError, match="local_epochs must be >= 1"):
        scenario_runs(options, rounds=1, variants={"x": ("fles", {"local_epochs": 0})})
    assert not (tmp_path / "000-runs-cpu").exists()


@pytest.mark.slow
def test_scenarios_run_and_are_reused(tmp_path: Path) -> None:
    data = tmp_path / "r.csv"
    synthesize_health_records(150, seed=0).to_csv(data)
    options = RecipeOptions(out=tmp_path, data=str(data), progress=False)
    runs = scenario_runs(options, rounds=2, seeds=(0,))
    assert list(runs) == list(SCENARIO_ORDER)
    stamp = {s: (r[0] / "summary.json").stat().st_mtime_ns for s, r in runs.items()}
    # finished runs are reused; a variant adds its own row
    again = scenario_runs(
        options, rounds=2, seeds=(0,), variants={"fles-2ep": ("fles", {"local_epochs": 2})}
    )
    assert list(again) == [*SCENARIO_ORDER, "fles-2ep"]
    assert {
        s: (r[0] / "summary.json").stat().st_mtime_ns for s, r in again.items() if s in stamp
    } == stamp
    assert fig5_rows({"fles-2ep": again["fles-2ep"]})
    rows4 = fig4_rows(runs)
    assert len(rows4) == 2 * len(SCENARIO_ORDER)
    assert all(0 < r["error_rate"] < 1 for r in rows4)
    rows5 = fig5_rows(runs)
    assert {r["cluster"] for r in rows5} == {"Sedentary", "Mild Activity", "Moderate Activity"}
    assert all(0 <= r["content_field_accuracy"] <= 1 for r in rows5)


def test_a_run_from_before_a_setting_is_reused_only_if_it_behaved_as_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    from dataclasses import asdict

    import semcom.twin.fles_apps as apps
    from semcom.experiments.p000_scenarios import _run_or_reuse
    from semcom.twin.fles_config import FLeSSettings

    called: list[bool] = []
    monkeypatch.setattr(apps, "run_fles", lambda s, run, progress: called.append(s.keep_optimizer))
    options = RecipeOptions(out=tmp_path, progress=False)
    old = asdict(FLeSSettings())
    del old["keep_optimizer"]  # saved before the setting: a fresh Adam every round
    run = tmp_path / "run"
    run.mkdir()
    for want, rerun in ((False, False), (True, True)):
        (run / "summary.json").write_text(json.dumps({"settings": old}))
        _run_or_reuse(FLeSSettings(keep_optimizer=want), run, options, "t")
        assert called == ([want] if rerun else [])
        called.clear()
