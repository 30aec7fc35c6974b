"""Paper 003 Fig. 7: the refiner's training loss against epoch.

CPU scale: the history stored in the links (``zoo:gsc-cifar10-*`` or ``--link``), stage 1
(``L_pre``) and stage 2 (``L_pre + L_diff``). Paper scale: trains ``sft-paper`` behind the
first channel's codec with the paper's settings (batch 16, lr 2e-4, 20 + 20 epochs; a GPU
job) into ``out/train`` and plots that run. Writes ``fig7.csv`` and ``fig7.png``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from semcom.experiments.p003_common import CHANNEL_TITLES, load_link
from semcom.experiments.recipe import RECIPES, RecipeOptions


def _paper_history(options: RecipeOptions) -> dict[str, list[dict[str, Any]]]:
    from semcom.train.refiner_trainer import RefinerTrainConfig, train_refiner

    channel = options.channels[0]
    link = load_link(options.link(channel))
    codec_path = str(link.refiner["train_config"]["checkpoint"]) if link.refiner else ""
    cfg = RefinerTrainConfig(
        checkpoint=codec_path,
        data=options.data_spec(),
        refiner="sft-paper",
        stage1_epochs=20,
        stage2_epochs=20,
        device=options.device,
        out=str(options.out / "train"),
    )
    result = train_refiner(cfg, resume=True, progress=options.progress)
    return {channel: result.history}


@RECIPES.register("003-fig7", summary="refiner training loss vs epoch")
def fig7(options: RecipeOptions) -> list[Path]:
    """Run Fig. 7 (module docstring)."""
    if options.scale == "paper":
        histories = _paper_history(options)
    else:
        histories = {}
        for channel in options.channels:
            link = load_link(options.link(channel))
            assert link.refiner is not None
            histories[channel] = list(link.refiner["history"])
    csv_path = options.out / "fig7.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["channel", "stage", "epoch", "train_loss", "val_psnr_db"])
        for channel, hist in histories.items():
            for h in hist:
                w.writerow([channel, h["stage"], h["epoch"], h["train_loss"], h["val_psnr_db"]])
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for channel, hist in histories.items():
        for stage, style in ((1, "-o"), (2, "--s")):
            pts = [(h["epoch"], h["train_loss"]) for h in hist if h["stage"] == stage]
            if pts:
                label = f"{CHANNEL_TITLES.get(channel, channel)}, stage {stage}"
                ax.plot(*zip(*pts, strict=True), style, label=label, markersize=4)
    ax.set_xlabel("epoch (of its stage)")
    ax.set_ylabel("training loss (stage 1: L_pre; stage 2: L_pre + L_diff)")
    ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("Paper 003 Fig. 7 — refiner loss", fontsize=9)
    fig.tight_layout()
    png = options.out / "fig7.png"
    fig.savefig(png)
    plt.close(fig)
    return [csv_path, png]
