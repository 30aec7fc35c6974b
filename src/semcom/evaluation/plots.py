"""Plots of sweep results (matplotlib, Agg backend).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from semcom.evaluation import SweepRow
    >>> from semcom.evaluation.plots import plot_psnr_vs_snr
    >>> rows = [SweepRow("mine", "awgn", s, 20 + s / 2, 0.9, None, 100) for s in (0, 10, 20)]
    >>> png = plot_psnr_vs_snr(rows, Path(tempfile.mkdtemp()) / "psnr_vs_snr.png")
    >>> png.read_bytes()[:4]
    b'\x89PNG'
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from semcom.evaluation.sweep import SweepRow


def plot_psnr_vs_snr(rows: list[SweepRow], path: str | Path, title: str = "") -> Path:
    """PSNR (dB) against channel SNR (dB), one line per (method, channel); saved as PNG.

    One colour per method, one line style per channel, so a method keeps its colour
    across channels.
    """
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    methods = list(dict.fromkeys(r.method for r in rows))
    channels = list(dict.fromkeys(r.channel for r in rows))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = ["-o", "--s", ":^", "-.d"]
    several_methods = len(methods) > 1
    for ci, channel in enumerate(channels):
        for mi, method in enumerate(methods):
            pts = sorted(
                (r.snr_db, r.psnr_db) for r in rows if (r.method, r.channel) == (method, channel)
            )
            if not pts:
                continue
            label = f"{method} — {channel}" if several_methods else channel
            ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                styles[ci % len(styles)],
                color=colours[mi % len(colours)],
                label=label,
                markersize=4,
            )
    ax.set_xlabel("channel SNR (dB)")
    ax.set_ylabel("PSNR (dB, mean over images)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=8, wrap=True)
    fig.tight_layout()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p)
    plt.close(fig)
    return p


def save_image_grid(
    rows: list[torch.Tensor], row_labels: list[str], path: str | Path, scale: int = 3
) -> Path:
    """Save a grid of images: ``rows[i]`` is ``[N, C, H, W] float32`` in [0, 1], one row each."""
    n_rows, n_cols = len(rows), rows[0].shape[0]
    h, w = rows[0].shape[-2:]
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(n_cols * w * scale / 100 + 1.2, n_rows * h * scale / 100),
        dpi=100,
        squeeze=False,
    )
    for i, (imgs, label) in enumerate(zip(rows, row_labels, strict=True)):
        for j in range(n_cols):
            ax = axes[i][j]
            img = imgs[j].detach().clamp(0, 1).cpu()
            if img.shape[0] == 1:
                ax.imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            else:
                ax.imshow(img.permute(1, 2, 0).numpy(), interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    fig.subplots_adjust(left=0.12, right=0.99, top=0.99, bottom=0.01, wspace=0.05, hspace=0.05)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p)
    plt.close(fig)
    return p
