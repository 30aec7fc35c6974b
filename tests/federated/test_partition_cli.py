"""semcom fl partition: the class histogram table / JSON and the plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from semcom.cli.app import main


def test_partition_prints_histogram_and_saves_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plot = tmp_path / "p.png"
    argv = ["fl", "partition", "--data", "patches", "--clients", "4", "--dirichlet", "0.3"]
    assert main([*argv, "--out", str(plot), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    hist = got["histogram"]
    assert len(hist) == 4
    assert len(got["classes"]) == 8
    assert sum(map(sum, hist)) == 3009  # every training patch, once
    assert plot.stat().st_size > 0
    iid = ["fl", "partition", "--data", "patches", "--clients", "4", "--iid"]
    assert main([*iid, "--out", str(plot), "--json"]) == 0
    sizes = [sum(r) for r in json.loads(capsys.readouterr().out)["histogram"]]
    assert max(sizes) - min(sizes) <= 1


def test_partition_bad_input_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fl", "partition", "--data", "patches", "--clients", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
