"""The full ``semcom demo`` as a user runs it (slow: about 5 minutes on 2 cores)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from semcom.evaluation import read_csv
from semcom.experiments.demo import SCRATCH, TUNED, ZOO


@pytest.mark.slow
def test_full_demo_from_the_console_script(tmp_path: Path) -> None:
    exe = shutil.which("semcom") or str(Path(sys.executable).parent / "semcom")
    out = tmp_path / "demo"
    proc = subprocess.run(
        [exe, "demo", "--out", str(out)], capture_output=True, text=True, timeout=900, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert proc.stdout.strip() == f"report: {out / 'report.md'}"
    everything = read_csv(out / "results.csv")
    rows = [r for r in everything if r.method == SCRATCH]
    awgn = [r.psnr_db for r in sorted(rows, key=lambda r: r.snr_db) if r.channel == "awgn"]
    ray = [r.psnr_db for r in sorted(rows, key=lambda r: r.snr_db) if r.channel == "rayleigh-block"]
    assert awgn == sorted(awgn), awgn  # more SNR, better pictures
    assert ray == sorted(ray), ray
    assert awgn[-1] > 24.0, awgn  # a trained link, far above the ~13 dB of a constant image
    assert ray[0] < awgn[0] - 0.5, (ray, awgn)  # deep fades hurt at low SNR (1.8 dB measured)
    assert all(r < a + 0.5 for r, a in zip(ray, awgn, strict=True)), (ray, awgn)
    # one minute on the patches adapts the CIFAR-10 zoo model to them at every SNR
    zoo = {(r.channel, r.snr_db): r.psnr_db for r in everything if r.method == ZOO}
    tuned = {(r.channel, r.snr_db): r.psnr_db for r in everything if r.method == TUNED}
    assert all(tuned[k] > zoo[k] for k in zoo), (zoo, tuned)
    # the twin scenario: a store, a model version per cluster, every twin synced once
    from semcom.twin import TwinStore

    report = (out / "report.md").read_text()
    assert "## Human digital twins" in report
    assert "(0 failed)" in report
    store = TwinStore.open(f"sqlite:///{out / 'twins' / 'twins.db'}")
    counts = store.counts()
    assert counts["versions"] == counts["twins"] == counts["sync_ok"] > 0
    assert counts["models"] == 3
