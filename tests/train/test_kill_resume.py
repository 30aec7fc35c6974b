"""A training process killed with SIGKILL resumes from its last epoch (slow)."""

from __future__ import annotations

import csv
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch


@pytest.mark.slow
def test_sigkill_then_resume(tmp_path: Path) -> None:
    exe = shutil.which("semcom") or str(Path(sys.executable).parent / "semcom")
    out = tmp_path / "run"
    args = [
        exe,
        "train",
        "--data",
        "patches",
        "--epochs",
        "6",
        "--batch-size",
        "64",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--no-progress",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state = out / "last.pt"
    deadline = time.monotonic() + 300
    while not state.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "training finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved = torch.load(state, weights_only=True)["epoch"]
    assert 1 <= saved < 6
    assert not list(out.glob("deepjscc-*.pt"))

    done = subprocess.run(
        [*args, "--resume"], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"resuming {out} after epoch {saved}" in " ".join(done.stderr.split())
    with (out / "train_log.csv").open() as f:
        epochs = [int(r["epoch"]) for r in csv.DictReader(f)]
    assert epochs == [1, 2, 3, 4, 5, 6]
    assert Path(done.stdout.strip()).exists()
