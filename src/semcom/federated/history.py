"""Per-round records of a federated run: ``rounds.csv``, ``clients.csv`` and their plot.

``rounds.csv``: one row per round — ``round, global_loss, global_psnr_db,
global_accuracy, mean_local_accuracy, uplink_bits, energy_j, delay_s, mean_snr_db,
participants, failed, seconds, prune_ratio`` (PSFL's pruned share of the
broadcast student; empty for other strategies); ``energy_j`` sums the uploading clients' energies,
``delay_s`` is the slowest upload (the round waits for it).

``clients.csv``: one row per client and round — ``round, partition_id, status
(ok | a failure reason), num_examples, train_loss, snr_db, bits, bandwidth_hz, rate_bps,
delay_s, energy_j, local_psnr_db, local_accuracy, mentor_task, student_task,
mentor_index`` (the last three: PSFL's mentor and student task losses, Eqs. 15-16, and the
mentor's index in ``psfl.mentors``; empty for other strategies).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

ROUND_FIELDS = [
    "round",
    "global_loss",
    "global_psnr_db",
    "global_accuracy",
    "mean_local_accuracy",
    "uplink_bits",
    "energy_j",
    "delay_s",
    "mean_snr_db",
    "participants",
    "failed",
    "seconds",
    "prune_ratio",
]
CLIENT_FIELDS = [
    "round",
    "partition_id",
    "status",
    "num_examples",
    "train_loss",
    "snr_db",
    "bits",
    "bandwidth_hz",
    "rate_bps",
    "delay_s",
    "energy_j",
    "local_psnr_db",
    "local_accuracy",
    "mentor_task",
    "student_task",
    "mentor_index",
]


def write_csv(path: Path, fields: list[str], rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` (missing keys empty) to ``path`` through a temporary file."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            w.writerow({k: ("" if _missing(row.get(k)) else row.get(k)) for k in fields})
    tmp.replace(path)


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def plot_rounds(path: Path, rounds: list[dict[str, Any]], title: str) -> None:
    """Global loss, global accuracy and uplink energy per round, side by side (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [r["round"] for r in rounds]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    axes[0].plot(t, [r["global_loss"] for r in rounds], marker="o")
    axes[0].set_ylabel("global loss (MSE)")
    acc = [r["global_accuracy"] for r in rounds]
    if any(not _missing(a) for a in acc):
        axes[1].plot(t, [100 * a for a in acc], marker="o", label="global")
        local = [r["mean_local_accuracy"] for r in rounds]
        axes[1].plot(t, [100 * a for a in local], marker="s", label="mean local")
        axes[1].set_ylabel("accuracy on reconstructions (%)")
        axes[1].legend()
    else:
        axes[1].plot(t, [r["global_psnr_db"] for r in rounds], marker="o")
        axes[1].set_ylabel("global PSNR (dB)")
    axes[2].bar(t, [r["energy_j"] for r in rounds])
    axes[2].set_ylabel("uplink energy (J)")
    for ax in axes:
        ax.set_xlabel("round")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
