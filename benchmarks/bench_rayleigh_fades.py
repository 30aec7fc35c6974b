"""Where the Rayleigh GSC link loses its PSNR at low average SNR: a table per fade depth.

Under block fading each image meets one coefficient ``h``; at an average SNR of 0 dB its
effective SNR ``10 log10(|h|^2)`` dB is below -5 dB for about a quarter of the images.
This script sends the 544 validation images several times (``--repeats`` noise seeds)
through ``gsc-cifar10-rayleigh`` at ``--snr-db`` (average) and groups the per-image PSNR
by effective SNR. Per group it prints:

* the share of images and their mean PSNR through the link (codec + refiner) and through
  its codec alone (NGF);
* a reference with CSI at the *transmitter*: the AWGN codec (``gsc-cifar10-awgn``'s) sent
  over AWGN at that very effective SNR, which the Rayleigh link cannot know when it encodes;
* what the group costs the average: share x (group PSNR - average PSNR).

The deep fades (well below the average) carry most of the shortfall, and the receiver's
refiner buys little of it back: the encoder, not knowing ``h``, spends the same symbols on
every fade. Noise seeds 0 .. R-1 of the channel, the refiner drawing from the same generator
after it; NGF is the link's own decoder output on those draws, and outputs are clipped to
[0, 1] as in ``semcom sweep``. It prints a table and never asserts. Needs
``../shared/data``. Run from the repository root::

    .venv/bin/python benchmarks/bench_rayleigh_fades.py [--snr-db 0] [--repeats 4] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys

import torch

from cifar_validation import cifar_split
from semcom import create_channel
from semcom.errors import SemcomError
from semcom.link import SemanticLink
from semcom.metrics import psnr
from semcom.train import load_checkpoint

#: Edges (dB) of the effective-SNR groups: ``10 log10(|h|^2)`` + the average SNR.
EDGES = [-float("inf"), -15.0, -10.0, -5.0, 0.0, 5.0, 10.0, float("inf")]


def _label(lo: float, hi: float) -> str:
    left = "" if lo == -float("inf") else f"{lo:g}"
    right = "" if hi == float("inf") else f"{hi:g}"
    return f"{left:>4s} .. {right:<4s}dB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snr-db", type=float, default=0.0, help="average SNR (dB)")
    parser.add_argument("--repeats", type=int, default=4, help="noise seeds per image")
    parser.add_argument("--limit", type=int, default=None, help="first N validation images")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        print("error: --repeats must be at least 1", file=sys.stderr)
        return 2
    try:
        ray = load_checkpoint("zoo:gsc-cifar10-rayleigh")
        awgn_codec = load_checkpoint("zoo:gsc-cifar10-awgn").build_codec()
    except SemcomError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    data = cifar_split("eval", args.limit)
    if data is None:
        return 2
    x = data.images.float() / 255
    codec, refiner = ray.build_codec(), ray.build_refiner()
    gsc = SemanticLink(codec, create_channel("rayleigh-block"), refiner).eval()
    csit = SemanticLink(awgn_codec, create_channel("awgn")).eval()
    rows: dict[str, list[torch.Tensor]] = {"eff": [], "gsc": [], "ngf": [], "csit": []}
    with torch.no_grad():
        for seed in range(args.repeats):
            print(f"noise seed {seed}", file=sys.stderr, flush=True)
            # x_coarse: the decoder's output before the refiner, i.e. NGF on the same h and noise
            out = gsc(x, args.snr_db, generator=torch.Generator().manual_seed(seed))
            eff = 10 * torch.log10(out["csi"][:, 0].abs().pow(2)) + args.snr_db
            ref = csit(x, eff.float(), generator=torch.Generator().manual_seed(seed))
            rows["eff"].append(eff)
            rows["gsc"].append(psnr(out["x_hat"].clamp(0, 1), x))
            rows["ngf"].append(psnr(out["x_coarse"].clamp(0, 1), x))
            rows["csit"].append(psnr(ref["x_hat"].clamp(0, 1), x))
    eff, p_gsc, p_ngf, p_csit = (torch.cat(rows[k]) for k in ("eff", "gsc", "ngf", "csit"))
    mean = p_gsc.mean().item()
    groups = []
    for lo, hi in itertools.pairwise(EDGES):
        m = (eff >= lo) & (eff < hi)
        if not m.any():
            continue
        share = m.float().mean().item()
        g = p_gsc[m].mean().item()
        groups.append(
            {
                "effective_snr_db": [lo, hi],
                "share": share,
                "gsc_psnr_db": g,
                "ngf_psnr_db": p_ngf[m].mean().item(),
                "awgn_codec_at_effective_snr_psnr_db": p_csit[m].mean().item(),
                "cost_to_average_db": share * (g - mean),
            }
        )
    print(
        f"gsc-cifar10-rayleigh at {args.snr_db:g} dB average SNR, {len(x)} images x "
        f"{args.repeats} noise seeds: mean PSNR {mean:.2f} dB (NGF {p_ngf.mean():.2f})"
    )
    head = ("effective SNR", "share", "GSC", "NGF", "CSIT ref", "cost")
    print("  {:16s} {:>6s} {:>7s} {:>7s} {:>9s} {:>7s}".format(*head))
    for r in groups:
        lo, hi = r["effective_snr_db"]
        print(
            f"  {_label(lo, hi):16s} {r['share']:6.1%} {r['gsc_psnr_db']:7.2f} "
            f"{r['ngf_psnr_db']:7.2f} {r['awgn_codec_at_effective_snr_psnr_db']:9.2f} "
            f"{r['cost_to_average_db']:+7.2f}"
        )
    print(
        "  CSIT ref: the AWGN codec sent over AWGN at the image's effective SNR (a "
        "transmitter that knows h; trained at 0-20 dB, so below 0 dB it extrapolates); "
        "cost: share x (group - mean), dB of the average"
    )
    if args.json:
        for r in groups:  # JSON has no infinity
            r["effective_snr_db"] = [
                None if abs(v) == float("inf") else v for v in r["effective_snr_db"]
            ]
        print(
            json.dumps(
                {
                    "snr_db": args.snr_db,
                    "images": len(x),
                    "repeats": args.repeats,
                    "mean_psnr_db": mean,
                    "groups": groups,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
