from __future__ import annotations

from pathlib import Path

import pytest

from semcom.cli.app import main
from semcom.evaluation import read_csv
from semcom.experiments.demo import SCRATCH, TUNED, ZOO


def test_short_demo_writes_the_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "demo"
    argv = ["demo", "--out", str(out), "--train-minutes", "0.05", "--finetune-minutes", "0.05"]
    argv += ["--device", "cpu", "--no-progress"]
    code = main(argv)
    assert code == 0
    assert f"report: {out / 'report.md'}" in capsys.readouterr().out
    report = (out / "report.md").read_text().splitlines()
    assert report[0].startswith("# semcom demo")
    assert report[2].startswith("![")
    assert "(grid.png)" in report[2]
    assert any("(finetune.png)" in line for line in report)
    assert "## Human digital twins" in report
    assert any(line.startswith("| physical record |") for line in report)
    assert any(
        line.startswith("The content layer") and "`prescription: " in line for line in report
    )
    for name in ["grid.png", "finetune.png", "psnr_vs_snr.png", "results.csv", "twin.png"]:
        assert (out / name).stat().st_size > 0
    rows = read_csv(out / "results.csv")
    assert {r.channel for r in rows} == {"awgn", "rayleigh-block"}
    assert sorted({r.snr_db for r in rows}) == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert {r.method for r in rows} == {SCRATCH, ZOO, TUNED}
    assert len(rows) == 3 * 2 * 5
    # the shipped zoo model is evaluated as shipped, so its row is a fixed reference
    zoo = next(r for r in rows if (r.method, r.channel, r.snr_db) == (ZOO, "awgn", 10.0))
    assert 20.0 < zoo.psnr_db < 35.0
    # a re-run continues the saved runs instead of failing or starting over
    assert main([*argv, "--no-twins"]) == 0
    assert (out / "finetune" / "last.pt").exists()


def test_finetune_can_be_skipped(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    argv = ["demo", "--out", str(out), "--train-minutes", "0.02", "--finetune-minutes", "0"]
    assert main([*argv, "--device", "cpu", "--no-progress", "--no-twins"]) == 0
    assert {r.method for r in read_csv(out / "results.csv")} == {SCRATCH}
    assert not (out / "finetune.png").exists()
