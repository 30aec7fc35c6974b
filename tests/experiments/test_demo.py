from __future__ import annotations

from pathlib import Path

import pytest

from semcom.cli.app import main
from semcom.evaluation import read_csv


def test_short_demo_writes_the_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code = main(
        ["demo", "--out", str(out), "--train-minutes", "0.05", "--device", "cpu", "--no-progress"]
    )
    assert code == 0
    assert f"report: {out / 'report.md'}" in capsys.readouterr().out
    report = (out / "report.md").read_text().splitlines()
    assert report[0].startswith("# semcom demo")
    assert report[2].startswith("![")
    assert "(grid.png)" in report[2]
    for name in ["grid.png", "psnr_vs_snr.png", "results.csv"]:
        assert (out / name).stat().st_size > 0
    rows = read_csv(out / "results.csv")
    assert {r.channel for r in rows} == {"awgn", "rayleigh-block"}
    assert sorted({r.snr_db for r in rows}) == [0.0, 5.0, 10.0, 15.0, 20.0]
    # a re-run continues the saved run instead of failing or starting over
    assert (
        main(
            [
                "demo",
                "--out",
                str(out),
                "--train-minutes",
                "0.05",
                "--device",
                "cpu",
                "--no-progress",
            ]
        )
        == 0
    )
