"""Latency of the whole GSC link on the CPU: Swin-JSCC + channel + SFT refiner, per image.

Issue 5's bar: with ``sft-small`` and T = 4, the whole link (encode, AWGN channel at 10 dB,
decode, refine) processes a 32x32 image in <= 16 ms at batch 64 on a 2-core CPU, a thousand
times faster than the 15.66 s per image of paper 003 (Table I, RTX 4060). Measured in the same
run: the same link without the refiner (NGF), and the refiner with 1, 2 and 4 reverse steps.
Untrained weights (latency does not depend on their values); ``torch.inference_mode()``,
median of timed calls after a warm-up. It prints figures, it never asserts.

Run from the repository root (keep other work off the machine while it runs)::

    .venv/bin/python benchmarks/bench_gsc_latency.py [--threads 2] [--repeats 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import torch

from semcom import SemanticLink, create_channel, create_codec
from semcom.refiners import create_refiner

PAPER_S_PER_IMAGE = 15.66
BAR_MS = 16.0


def per_image_ms(link: SemanticLink, x: torch.Tensor, repeats: int) -> float:
    gen = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for _ in range(2):
            link(x, 10.0, gen)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            link(x, 10.0, gen)
            times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times) / len(x)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--refiner", default="sft-small")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(args.batch, 3, 32, 32)
    codec, channel = create_codec("swinjscc").eval(), create_channel("awgn")
    refiner = create_refiner(args.refiner).eval()
    result: dict[str, object] = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "threads": args.threads,
        "batch": args.batch,
        "torch": torch.__version__,
        "refiner": args.refiner,
    }
    result["ngf_ms"] = per_image_ms(SemanticLink(codec, channel), x, args.repeats)
    for steps in (1, 2, 4):
        refiner.set_steps(steps)
        link = SemanticLink(codec, channel, refiner)
        result[f"gsc_steps{steps}_ms"] = per_image_ms(link, x, args.repeats)
    gsc = float(result["gsc_steps4_ms"])  # type: ignore[arg-type]
    result["speedup_vs_paper"] = PAPER_S_PER_IMAGE * 1000 / gsc
    result["bar_met"] = gsc <= BAR_MS
    print(
        f"{args.threads} thread(s), batch {args.batch}, {result['cpu']}, torch {torch.__version__}"
    )
    print(f"  Swin-JSCC alone (NGF)          {result['ngf_ms']:7.2f} ms / image")
    for steps in (1, 2, 4):
        ms = result[f"gsc_steps{steps}_ms"]
        print(f"  GSC, {args.refiner}, {steps} step(s)    {ms:7.2f} ms / image")
    print(
        f"  bar <= {BAR_MS:g} ms at T = 4: {'met' if result['bar_met'] else 'NOT MET'}; "
        f"{result['speedup_vs_paper']:.0f}x faster than paper 003's {PAPER_S_PER_IMAGE} s"
    )
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
