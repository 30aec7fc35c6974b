"""A virtual twin's history as a small plot (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

from semcom.twin.store import TwinInfo, VersionInfo

__all__ = ["plot_history"]

FIELDS = ("HeartRate", "BloodOxygenLevel", "Weight", "Age")


def plot_history(twin: TwinInfo, history: list[VersionInfo], out: str | Path) -> Path:
    """Regenerated fields per version (dots) against the physical record (dashed line);
    writes ``out`` (PNG) and returns it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    record = twin.profile.get("record") or {}
    fig, axes = plt.subplots(1, len(FIELDS), figsize=(3.2 * len(FIELDS), 2.8))
    versions = [v.version for v in history]
    for ax, name in zip(axes, FIELDS, strict=True):
        values = [v.state.get(name) for v in history]
        ax.plot(versions, values, "o-", label="virtual twin")
        if isinstance(record.get(name), int | float):
            ax.axhline(float(record[name]), ls="--", color="k", label="physical record")
        ax.set_title(name)
        ax.set_xlabel("version")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"twin {twin.id} ({twin.cluster})")
    fig.tight_layout()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
