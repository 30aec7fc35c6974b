"""The picture of a partition: stacked bars of each client's class counts (paper 001 Fig. 6)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def plot_partition(
    path: Path, histogram: Sequence[Sequence[int]], class_names: Sequence[str], title: str
) -> None:
    """Save a PNG of ``histogram`` (``[clients][classes]`` counts) as stacked bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(histogram)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.6 * k + 2), 3.6))
    bottom = [0] * k
    cmap = plt.get_cmap("tab10" if len(class_names) <= 10 else "tab20")
    for c, name in enumerate(class_names):
        counts = [row[c] for row in histogram]
        ax.bar(range(k), counts, bottom=bottom, label=name, color=cmap(c % cmap.N))
        bottom = [b + n for b, n in zip(bottom, counts, strict=True)]
    ax.set_xticks(range(k))
    ax.set_xlabel("client")
    ax.set_ylabel("images")
    ax.set_title(title)
    if len(class_names) > 1:
        ax.legend(fontsize=7, ncol=2, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
