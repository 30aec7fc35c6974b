"""Latency of the GSC link on the CPU: Swin-JSCC + channel + SFT refiner, per 32x32 image.

For batch 1 (one user's request) and batch 64, and for 1..T reverse steps:

* the refiner alone (N1', the reverse chain, N2) in ms per image;
* the whole link (encode, AWGN at 10 dB, decode, refine) in ms per image and images/s;
* the link without the refiner (NGF) for comparison.

Issue 5's bar: with ``sft-small`` and T = 4 the whole link takes <= 16 ms per image at batch
64 on a 2-core CPU, a thousand times faster than the 15.66 s per image of paper 003 (Table I,
RTX 4060). Untrained weights (latency does not depend on their values) of the named size,
or ``--checkpoint LINK`` for a trained link as it is (e.g. ``zoo:gsc-cifar10-awgn``, whose
refiner may be ``sft-small`` with options);
``torch.inference_mode()``; median of timed calls after a warm-up. It prints figures, it
never asserts.

Run from the repository root (keep other work off the machine while it runs)::

    .venv/bin/python benchmarks/bench_gsc_latency.py [--threads 2] [--repeats 10] [--json]
        [--checkpoint zoo:gsc-cifar10-awgn]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable

import torch

from semcom import SemanticLink, create_channel, create_codec, load
from semcom.refiners import SFTRefiner, create_refiner

PAPER_S_PER_IMAGE = 15.66
BAR_MS = 16.0


def per_image_ms(model: Callable[..., object], x: torch.Tensor, repeats: int) -> float:
    """Median milliseconds per image of ``model(x, 10.0, generator)``."""
    gen = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for _ in range(2):
            model(x, 10.0, gen)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(x, 10.0, gen)
            times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times) / len(x)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--refiner", default="sft-small")
    parser.add_argument("--checkpoint", default=None, help="a trained link (path or zoo:NAME)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    channel = create_channel("awgn")
    if args.checkpoint:
        loaded = load(args.checkpoint).eval()
        if not isinstance(loaded.refiner, SFTRefiner):
            parser.error(f"{args.checkpoint} has no SFT refiner")
        codec, refiner = loaded.codec, loaded.refiner
        args.refiner = f"{args.checkpoint} ({refiner.config()})"
    else:
        codec, refiner = create_codec("swinjscc").eval(), create_refiner(args.refiner).eval()
    rows = []
    for batch in (1, 64):
        x = torch.rand(batch, 3, 32, 32)
        ngf = SemanticLink(codec, channel)
        ngf_ms = per_image_ms(ngf, x, args.repeats)
        rows.append({"batch": batch, "steps": 0, "refiner_ms": 0.0, "link_ms": ngf_ms})
        for steps in range(1, refiner.timesteps + 1):
            refiner.set_steps(steps)
            link = SemanticLink(codec, channel, refiner)
            rows.append(
                {
                    "batch": batch,
                    "steps": steps,
                    "refiner_ms": per_image_ms(refiner, x, args.repeats),
                    "link_ms": per_image_ms(link, x, args.repeats),
                }
            )
    for r in rows:
        r["link_images_per_s"] = 1000 / r["link_ms"]
    gsc = next(r["link_ms"] for r in rows if (r["batch"], r["steps"]) == (64, refiner.timesteps))
    print(
        f"{args.threads} thread(s), {platform.machine()} ({os.cpu_count()} cores), "
        f"torch {torch.__version__}, {args.refiner}, T = {refiner.timesteps}"
    )
    print("  batch  steps  refiner ms/img  link ms/img  link img/s")
    for r in rows:
        name = f"{r['steps']:>5}" if r["steps"] else "  NGF"
        ref = f"{r['refiner_ms']:14.2f}" if r["steps"] else f"{'-':>14}"
        speed = f"{r['link_ms']:11.2f}  {r['link_images_per_s']:10.0f}"
        print(f"  {r['batch']:>5}  {name}  {ref}  {speed}")
    met = gsc <= BAR_MS
    print(
        f"bar <= {BAR_MS:g} ms per image at batch 64, T steps: {'met' if met else 'NOT MET'} "
        f"({gsc:.2f} ms, {PAPER_S_PER_IMAGE * 1000 / gsc:.0f}x faster than paper 003's "
        f"{PAPER_S_PER_IMAGE} s)"
    )
    if args.json:
        print(json.dumps({"threads": args.threads, "refiner": args.refiner, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
