"""``semcom twin``: init -> train -> sync -> show on synthetic records; failed syncs and
one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.helpers import assert_one_line_error, run_cli

from semcom.codecs.multimodal import CATEGORICAL_COLUMNS
from semcom.data.health import synthesize_health_records
from semcom.twin import TwinStore
from semcom.twin.content import note_fields
from semcom.twin.sync import load_cluster_model


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    csv = tmp_path / "records.csv"
    synthesize_health_records(60, seed=0).to_csv(csv)
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    code, out, _ = run_cli(capsys, "twin", "init", "--db", url, "--data", str(csv))
    assert code == 0
    assert sum(int(line.split(": ")[1].split()[0]) for line in out.splitlines()) == 60
    code, out, _ = run_cli(capsys, "twin", "train", "--db", url, "--epochs", "2", "--no-progress")
    assert code == 0
    assert out.count("model v1") == 3
    assert out.count("text fields written right") == 3
    return url


def test_life_cycle(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "twin", "sync", "--db", db)
    assert (code, out.strip()) == (0, "synced 60 twins, 0 failed")
    code, out, _ = run_cli(
        capsys, "twin", "sync", "--db", db, "--twin", "p0003", "--channel", "rayleigh-block"
    )
    assert code == 0
    store = TwinStore.open(db)
    hist = store.history("p0003")
    assert [v.version for v in hist] == [1, 2]
    assert hist[-1].bits == 64 * 16
    assert hist[-1].model_version_id is not None
    state = hist[-1].state
    assert set(state) == set(store.twin("p0003").profile["record"]) | {"note"}
    # the content layer wrote the text fields the note states (the codec the rest)
    model = store.model_for(store.twin("p0003").cluster)
    assert model is not None
    assert model.metrics["channel"] == "awgn"  # what sync uses unless told otherwise
    levels = dict(
        zip(CATEGORICAL_COLUMNS, load_cluster_model(model).featurizer.levels, strict=True)
    )
    written = note_fields(state["note"], levels)
    assert {"Medication_History", "Chronic_Health_Conditions"} <= set(written), state["note"]
    for field, value in written.items():
        assert state[field] == value
    plot = tmp_path / "p3.png"
    code, out, _ = run_cli(capsys, "twin", "show", "p0003", "--db", db, "--plot", str(plot))
    assert code == 0
    assert "versions 2" in out
    assert f"note written by the content layer (v2): {state['note']}" in out
    assert plot.stat().st_size > 1000


def test_malformed_record_is_a_failed_sync_and_writes_nothing(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = TwinStore.open(db)
    with store.engine.begin() as c:  # corrupt one twin's stored record
        from sqlalchemy import text

        row = c.execute(text("select profile from physical_twins where id='p0005'")).scalar()
        profile = json.loads(row) if isinstance(row, str) else row
        profile["record"]["HeartRate"] = "fast"
        c.execute(
            text("update physical_twins set profile=:p where id='p0005'"),
            {"p": json.dumps(profile)},
        )
    code, out, _ = run_cli(capsys, "twin", "sync", "--db", db)
    assert code == 1
    assert "synced 59 twins, 1 failed" in out
    assert "failed p0005: twin 'p0005', column 'HeartRate': 'fast' is not a number" in out
    assert store.history("p0005") == []
    events = store.sync_events("p0005")
    assert [(e.status, e.version) for e in events] == [("failed", None)]


def test_errors_are_one_line(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(
        *run_cli(capsys, "twin", "show", "nobody", "--db", db)[::2], "unknown twin id"
    )
    assert_one_line_error(
        *run_cli(capsys, "twin", "sync", "--db", f"sqlite:///{tmp_path / 'none.db'}")[::2],
        "semcom twin init",
    )
    assert_one_line_error(
        *run_cli(capsys, "twin", "train", "--db", db, "--channel", "fiber")[::2], "unknown channel"
    )
    assert_one_line_error(
        *run_cli(capsys, "twin", "sync", "--db", db, "--channel", "fiber")[::2], "unknown channel"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    assert_one_line_error(
        *run_cli(
            capsys, "twin", "init", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--data", str(bad)
        )[::2],
        "missing columns",
    )


@pytest.mark.slow
def test_eight_concurrent_syncs_lose_no_version(db: str) -> None:
    import shutil
    import subprocess
    import sys

    exe = shutil.which("semcom") or str(Path(sys.executable).parent / "semcom")
    procs = [
        subprocess.Popen(
            [exe, "twin", "sync", "--db", db, "--seed", str(i)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(8)
    ]
    codes = [p.wait(timeout=300) for p in procs]
    assert codes == [0] * 8, [p.stderr.read() for p in procs if p.stderr]
    store = TwinStore.open(db)
    for twin in store.twins():
        assert [v.version for v in store.history(twin.id)] == list(range(1, 9))
    assert store.counts()["sync_ok"] == 8 * 60
