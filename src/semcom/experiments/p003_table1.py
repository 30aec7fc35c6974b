"""Paper 003 Table I (single-user column): runtime per image.

The first channel's link on this machine: NGF (codec alone) and GSC with 1..T reverse steps,
seconds per image at batch 1 (one user's request, as in the paper) and at batch 64, beside
the paper's 15.66 s (GSC, RTX 4060). The service issue adds the MU-GSC column. Writes
``table1.csv`` and ``table1.png`` (log scale).
"""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from semcom.device import resolve_device
from semcom.evaluation.refiner_profile import link_latency_s
from semcom.experiments.p003_common import eval_data, first_batch, load_link
from semcom.experiments.recipe import RECIPES, RecipeOptions
from semcom.link import SemanticLink
from semcom.registry import create_channel

PAPER_GSC_S = 15.66


@RECIPES.register("003-table1", summary="runtime per image, single user (GSC, NGF)")
def table1(options: RecipeOptions) -> list[Path]:
    """Run Table I (module docstring)."""
    device = resolve_device(options.device)
    channel = options.channels[0]
    ckpt = load_link(options.link(channel))
    codec, refiner = ckpt.build_codec(device), ckpt.build_refiner(device)
    assert refiner is not None
    ch = create_channel(channel).to(device)
    data = eval_data(options, cpu_limit=64)
    repeats = 5 if options.scale == "cpu" else 20
    rows = []
    for batch in (1, 64):
        x = first_batch(data, batch, device)
        rows.append(("NGF", 0, len(x), link_latency_s(SemanticLink(codec, ch), x, 10.0, repeats)))
        for steps in range(1, int(refiner.timesteps) + 1):  # type: ignore[arg-type]
            refiner.set_steps(steps)  # type: ignore[operator]
            link = SemanticLink(codec, ch, refiner).eval()
            rows.append(("GSC", steps, len(x), link_latency_s(link, x, 10.0, repeats)))
    csv_path = options.out / "table1.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "steps", "batch", "latency_s_per_image", "device", "threads"])
        for r in rows:
            w.writerow([*r, str(device), torch.get_num_threads()])
        w.writerow(["paper 003 GSC (RTX 4060)", 4, 1, PAPER_GSC_S, "cuda", ""])
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    single = [r for r in rows if r[2] == 1]
    labels = [f"{m}" + (f" {s} step{'s' if s > 1 else ''}" if s else "") for m, s, _, _ in single]
    ax.barh([*labels, "paper 003 GSC"], [r[3] for r in single] + [PAPER_GSC_S])
    ax.set_xscale("log")
    ax.set_xlabel(f"seconds per image, batch 1 ({device}, {torch.get_num_threads()} threads)")
    ax.set_title("Paper 003 Table I — runtime, single user", fontsize=9)
    fig.tight_layout()
    png = options.out / "table1.png"
    fig.savefig(png)
    plt.close(fig)
    return [csv_path, png]
