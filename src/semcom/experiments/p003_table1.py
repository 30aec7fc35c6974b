"""Paper 003 Table I: runtime per image, GSC (one user) and MU-GSC (the service).

The first channel's link on this machine: NGF (codec alone) and GSC with 1..T reverse steps,
seconds per image at batch 1 (one user's request, as in the paper) and at batch 64, beside
the paper's 15.66 s (GSC, RTX 4060). The MU-GSC column serves the same link with
``semcom serve`` (a child process) and loads it with ``semcom loadtest`` at 3 and 32
concurrent users: one request per forward (``--max-batch 1``, one at a time) against the
micro-batched service (``--max-batch 32``; on a CPU also with two model processes); seconds
per image = wall time / answered requests, beside the paper's 8.87 s. Writes ``table1.csv``
and ``table1.png`` (log scale).
"""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import httpx
import matplotlib.pyplot as plt
import torch

from semcom.device import resolve_device
from semcom.errors import SemcomError
from semcom.evaluation.refiner_profile import link_latency_s
from semcom.experiments.p003_common import eval_data, first_batch, load_link
from semcom.experiments.recipe import RECIPES, RecipeOptions
from semcom.link import SemanticLink
from semcom.registry import create_channel
from semcom.train.progress import STDERR

PAPER_GSC_S = 15.66
PAPER_MU_GSC_S = 8.87
#: Concurrent users of the MU-GSC column (the paper's three, and a busier service).
MU_USERS = (3, 32)
#: The service's modes: label -> (``--max-batch``, ``--model-processes``); the two-process
#: mode runs on a CPU only (there a second process uses a second core; docs/serving.md).
MU_MODES = {
    "MU-GSC one-at-a-time": (1, 1),
    "MU-GSC batched": (32, 1),
    "MU-GSC batched, 2 model processes": (32, 2),
}


def mu_gsc_rows(
    spec: str, device: torch.device, requests: int, progress: bool
) -> list[tuple[str, int, int, int, float]]:
    """``(method, steps, max_batch, users, seconds per image)`` of the service of ``spec``
    in each of :data:`MU_MODES` at each of :data:`MU_USERS` (fresh payloads: no cache hits)."""
    from semcom.serving.loadtest import LoadTestConfig, run_loadtest
    from semcom.serving.server import ServiceProcess

    rows = []
    for method, (max_batch, processes) in MU_MODES.items():
        if processes > 1 and device.type != "cpu":
            continue
        args = ["--checkpoint", spec, "--device", str(device), "--max-batch", str(max_batch),
                "--model-processes", str(processes)]  # fmt: skip
        with ServiceProcess(args) as url:
            run_loadtest(LoadTestConfig(url, users=8, requests=32), progress=False)  # warm-up
            info = httpx.get(f"{url}/v1/info", timeout=30).json()
            for users in MU_USERS:
                cfg = LoadTestConfig(url, users=users, requests=requests)
                result = run_loadtest(cfg, progress=progress)
                summary = result.summary()
                if summary["ok"] == 0:
                    raise SemcomError(f"{method}: no request succeeded: {summary['errors']}")
                per_image = result.wall_s / summary["ok"]
                rows.append((method, int(info["refiner_steps"] or 0), max_batch, users, per_image))
                STDERR.print(f"{method}, {users} users: {per_image * 1000:.1f} ms per image",
                             highlight=False)  # fmt: skip
    return rows


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
    mu = mu_gsc_rows(
        options.link(channel), device, 192 if options.scale == "cpu" else 2000, options.progress
    )
    csv_path = options.out / "table1.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "steps", "batch", "users", "latency_s_per_image", "device",
                    "threads"])  # fmt: skip
        for m, st, b, lat in rows:
            w.writerow([m, st, b, 1, lat, str(device), torch.get_num_threads()])
        for m, st, b, users, lat in mu:
            w.writerow([m, st, b, users, lat, str(device), torch.get_num_threads()])
        w.writerow(["paper 003 GSC (RTX 4060)", 4, 1, 1, PAPER_GSC_S, "cuda", ""])
        w.writerow(["paper 003 MU-GSC (RTX 4060)", 4, "", "", PAPER_MU_GSC_S, "cuda", ""])
    fig, ax = plt.subplots(figsize=(8, 5), dpi=120)
    single = [r for r in rows if r[2] == 1]
    labels = [f"{m}" + (f" {s} step{'s' if s > 1 else ''}" if s else "") for m, s, _, _ in single]
    labels += [f"{m} ({u} users)" for m, _, _, u, _ in mu]
    values = [r[3] for r in single] + [r[4] for r in mu]
    ax.barh([*labels, "paper 003 GSC", "paper 003 MU-GSC"], [*values, PAPER_GSC_S, PAPER_MU_GSC_S])
    ax.set_xscale("log")
    ax.set_xlabel(f"seconds per image ({device}, {torch.get_num_threads()} threads)\n"
                  "GSC / NGF at batch 1, MU-GSC through the service", fontsize=8)  # fmt: skip
    ax.set_title("Paper 003 Table I — seconds per image", fontsize=9)
    fig.tight_layout()
    png = options.out / "table1.png"
    fig.savefig(png)
    plt.close(fig)
    return [csv_path, png]
