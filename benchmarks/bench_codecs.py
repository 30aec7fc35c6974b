"""Size, cost and speed of every registered codec, and of the digital baseline's chain.

For every codec (and each ``vitjscc`` size) at 32x32 RGB, cbr 1/6, over AWGN at 10 dB:

* parameters;
* MACs per image of one link forward (encode + decode), counted by
  ``torch.utils.flop_counter.FlopCounterMode`` (matrix multiplications, convolutions and
  attention; MACs = FLOPs / 2), batch 1;
* link forward throughput in images/s at batch 256 under ``torch.inference_mode()``
  (median over timed calls after a warm-up).

For the digital chain (``digital:jpeg+ldpc+qam`` at 10 dB on 256 CIFAR-10-sized images,
the bundled photographs cut into 32x32 patches so the script needs no download):

* end-to-end images/s (quality search, framing, LDPC encode, QAM, channel, demapping,
  decoding, image decode);
* LDPC decoding throughput in Mbit/s of information bits (Sionna's ``LDPC5GDecoder``,
  20 iterations, 256 codewords of n = 1024, k = 512 per call).

It only prints figures (``--json`` for one JSON object on stdout). Run from the repository
root::

    .venv/bin/python benchmarks/bench_codecs.py             # a few minutes
    .venv/bin/python benchmarks/bench_codecs.py --quick     # about a minute
    .venv/bin/python benchmarks/bench_codecs.py --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from semcom import create_channel, create_codec
from semcom.registry import CODECS


def _median_rate(fn: Callable[[], object], items: int, budget_s: float) -> float:
    fn()  # warm-up
    times: list[float] = []
    start = time.perf_counter()
    while not times or (time.perf_counter() - start < budget_s and len(times) < 50):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return items / statistics.median(times)


def codec_rows(batch: int, budget_s: float) -> list[dict[str, Any]]:
    channel = create_channel("awgn")
    rows = []
    for name in CODECS.names():
        variants = getattr(CODECS.entry(name).factory, "variants", {})
        options = [{k: v} for k, vs in variants.items() for v in vs] or [{}]
        for option in options:
            torch.manual_seed(0)
            codec = create_codec(name, **option).eval()
            label = " ".join([name, *(f"{k}={v}" for k, v in option.items())])
            params = sum(p.numel() for p in codec.parameters())
            # Count with autograd on: in inference mode nn.TransformerEncoderLayer takes a
            # fused fast path that the counter does not see.
            counter = FlopCounterMode(display=False)
            with counter:
                codec(torch.rand(1, 3, 32, 32), channel, 10.0)
            macs = counter.get_total_flops() / 2
            with torch.inference_mode():
                x = torch.rand(batch, 3, 32, 32)
                rate = _median_rate(lambda c=codec, x=x: c(x, channel, 10.0), batch, budget_s)
            rows.append(
                {"codec": label, "parameters": params, "macs_per_image": macs, "images_per_s": rate}
            )
            print(
                f"{label:22s} {params:>11,d} params {macs / 1e6:>9.1f} M MACs/image "
                f"{rate:>9.0f} images/s (batch {batch})",
                file=sys.stderr,
            )
    return rows


def digital_rows(n_images: int, budget_s: float) -> dict[str, Any]:
    from semcom.data import load_images
    from semcom.digital import parse_digital_method
    from semcom.digital.phy import CodedModulation

    data = load_images("patches", "eval").head(n_images)
    images = data.images.permute(0, 2, 3, 1).numpy().copy()
    method = parse_digital_method("digital:jpeg+ldpc+qam")
    channel = create_channel("awgn")
    gen = torch.Generator().manual_seed(0)
    rate = _median_rate(lambda: method.transmit(images, channel, 10.0, gen), len(images), budget_s)
    phy = CodedModulation(512, 0.5, 2)
    bits = torch.randint(0, 2, (256, phy.k_cw)).float()
    llr = phy._demapper(
        phy._mapper(phy._encoder(bits)) + 0.3 * torch.randn(256, phy.symbols_per_cw), 0.1
    )
    decode_rate = _median_rate(lambda: phy._decoder(llr), 256 * phy.k_cw, budget_s)
    print(
        f"digital:jpeg+ldpc1/2+qam4 {rate:.0f} images/s end to end ({len(images)} images); "
        f"LDPC decoding {decode_rate / 1e6:.2f} Mbit/s (info bits, 20 iterations)",
        file=sys.stderr,
    )
    return {"digital_images_per_s": rate, "ldpc_decode_mbit_per_s": decode_rate / 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing budgets")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    budget = 2.0 if args.quick else 8.0
    print(
        f"{platform.processor() or platform.machine()}, {args.threads} thread(s), "
        f"torch {torch.__version__}",
        file=sys.stderr,
    )
    result = {
        "threads": args.threads,
        "torch": torch.__version__,
        "codecs": codec_rows(args.batch, budget),
        **digital_rows(256, budget),
    }
    if args.json:
        print(json.dumps(result, default=lambda v: float(np.asarray(v))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
