"""Paper 003 Figs. 4c-d and 5c-d: MU-GSC, three single-antenna users to a three-antenna receiver.

Sec. IV: "For the MU-GSC, the transceiver is assumed with three single-antenna users and
the receiver with three antennas." How we read it:

* **Users.** Each group of 3 consecutive evaluation images is sent by the 3 users at once
  (image ``i`` is user ``i % 3 + 1``) through
  :class:`~semcom.channels.multiuser.MultiUserMIMO` (``n_users=3, n_antennas=3``), every
  user at the SNR of the x axis; the images are cut to a multiple of 3 so that each user
  sends as many (CPU scale: the first 255).
* **Rayleigh panel** (Figs. 4d, 5d): an i.i.d. Rayleigh ``3 x 3`` ``H`` per group, constant
  over the image (block fading), the receiver knows it and separates the users with ZF
  (``MU-GSC``, ``MU-NGF``) or MMSE (``MU-GSC (MMSE)``, ``MU-NGF (MMSE)``); decoded by the
  Rayleigh link (``options.link("rayleigh-block")``). With ``M = K`` ZF leaves each user
  a post-detection SNR of ``p`` times an Exp(1) variable (chi-square, ``2 (M - K + 1) = 2``
  degrees of freedom), the law of single-user Rayleigh block fading; so MU-GSC (ZF)
  lands near the single-user GSC over ``rayleigh-block`` with ZF equalisation, and
  MU-GSC (MMSE) near Fig. 4b's GSC (whose ``rayleigh-block`` equalises with MMSE).
* **AWGN panel** (Figs. 4c, 5c): the paper gives no channel matrix for its "MU-GSC AWGN
  channel"; we read it as no fading, ``H = I`` (``fading="none"``): each user reaches its
  own antenna with unit gain. With ZF each user then sees exactly an AWGN channel at its
  SNR (the very noise realisation ``awgn`` draws from the same seed), so this panel
  matches Fig. 4a's GSC / NGF on the same images. Decoded by the AWGN link. (MMSE with
  ``H = I`` only scales the symbols by ``p / (p + 1)``; left out.)
* **Methods.** MU-GSC: the link's codec and its refiner; MU-NGF: the codec alone. The
  decoder and the refiner are told the nominal SNR, as in the single-user figures.
* **Noise.** At SNR ``s`` the channel (all ``H`` of a batch, then the noise) draws from a
  generator seeded with :func:`~semcom.evaluation.sweep.noise_seed` ``(seed, s)``, re-seeded
  for every method, and the refiner's diffusion noise from a second generator seeded with
  that value + 1; so every method and detector of a panel sees the same ``H`` and the same
  channel noise at a given SNR.

Outputs: ``fig4cd.csv`` / ``fig5cd.csv`` (the sweep columns of ``fig4.csv``; each metric
the mean over the 3 users, i.e. over all images; ``note`` names the MIMO setting),
``fig4cd_users.csv`` / ``fig5cd_users.csv`` (one row per user: ``method, channel, fading,
detector, snr_db, user, psnr_db, ssim, lpips, n_images``) and ``fig4cd.png`` /
``fig5cd.png`` (one panel per channel, the mean over users). Fig. 5c-d needs the LPIPS
weights, exactly as ``003-fig5``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from semcom.channels.multiuser import MultiUserMIMO
from semcom.codecs.base import Codec
from semcom.data import ImageDataset
from semcom.device import resolve_device
from semcom.errors import SemcomError
from semcom.evaluation.sweep import (
    Receiver,
    RefinedCodec,
    SweepRow,
    check_compatible,
    needs_tiling,
    noise_seed,
    write_csv,
)
from semcom.experiments.p003_common import eval_data, load_link, lpips_for, plot_per_channel
from semcom.experiments.p003_fig4 import snrs_for
from semcom.experiments.recipe import RECIPES, RecipeOptions
from semcom.metrics import ms_ssim, psnr, ssim
from semcom.metrics.lpips import AlexLPIPS
from semcom.seeding import make_generator
from semcom.train.progress import STDERR, make_progress

#: Single-antenna users ``K`` and receive antennas ``M`` (paper 003, Sec. IV).
USERS = 3
ANTENNAS = 3
#: Images per batch: a multiple of :data:`USERS`, so that batches hold whole groups.
BATCH = 255


@dataclass(frozen=True)
class Panel:
    """One MU-GSC panel: the link's channel, the MIMO matrices, the detectors.

    Attributes:
        channel: the recipe channel whose link decodes (``awgn``, ``rayleigh-block``).
        fading: :class:`MultiUserMIMO` ``fading`` (``"none"``: ``H = I``).
        detectors: multi-user detectors, the first one unlabelled in the legend.
        title: the plot panel's title.
    """

    channel: str
    fading: str
    detectors: tuple[str, ...]
    title: str


PANELS: dict[str, Panel] = {
    "awgn": Panel("awgn", "none", ("zf",), "MU-GSC AWGN: H = I (no fading), ZF"),
    "rayleigh-block": Panel(
        "rayleigh-block", "rayleigh", ("zf", "mmse"), "MU-GSC Rayleigh: i.i.d. 3x3 H per group"
    ),
}


@dataclass(frozen=True)
class UserRow:
    """One user's scores at one SNR (a line of ``fig4cd_users.csv``).

    Attributes:
        method: legend label (``MU-GSC``, ``MU-NGF``, ``MU-GSC (MMSE)``, ...).
        channel: the panel's link channel (``awgn`` or ``rayleigh-block``).
        fading: ``none`` (``H = I``) or ``rayleigh``.
        detector: ``zf`` or ``mmse``.
        snr_db: every user's received SNR, dB.
        user: 1..3 (image ``i`` is user ``i % 3 + 1``).
        psnr_db: mean over the user's images of per-image PSNR, dB (peak 1).
        ssim: mean per-image SSIM.
        lpips: mean per-image LPIPS (AlexNet, lower is better), ``None`` without weights.
        n_images: images the user sent.
    """

    method: str
    channel: str
    fading: str
    detector: str
    snr_db: float
    user: int
    psnr_db: float
    ssim: float
    lpips: float | None
    n_images: int


def method_label(base: str, detector: str, panel: Panel) -> str:
    """``base`` for the panel's first detector, else ``"base (DETECTOR)"``.

    Example:
        >>> method_label("MU-GSC", "mmse", PANELS["rayleigh-block"])
        'MU-GSC (MMSE)'
    """
    return base if detector == panel.detectors[0] else f"{base} ({detector.upper()})"


def whole_groups(data: ImageDataset) -> ImageDataset:
    """The first ``len(data) // USERS * USERS`` images: every user sends as many.

    Raises :class:`SemcomError` with fewer than :data:`USERS` images.
    """
    n = len(data) // USERS * USERS
    if n == 0:
        raise SemcomError(f"MU-GSC needs at least {USERS} images (one per user), got {len(data)}")
    return data if n == len(data) else data.head(n)


@torch.no_grad()
def per_image_scores(
    receiver: Receiver,
    channel: MultiUserMIMO,
    data: ImageDataset,
    snr_db: float,
    *,
    seed: int,
    device: torch.device,
    lpips_metric: AlexLPIPS | None = None,
    batch_size: int = BATCH,
) -> dict[str, torch.Tensor]:
    """Send ``data`` through ``channel`` at ``snr_db`` (dB, every user); per-image scores.

    ``data``'s images must be of the codec's size and ``batch_size`` a multiple of
    ``channel.n_users`` (consecutive images are the users of a group). Noise: see the
    module docstring.

    Returns:
        ``{"psnr": [N], "ssim": [N]}`` float32 on the CPU (PSNR in dB), plus ``"lpips"``
        ``[N]`` with ``lpips_metric`` and ``"ms_ssim"`` ``[N]`` for images of 176 px and more.
    """
    if batch_size % channel.n_users:
        raise SemcomError(
            f"batch_size {batch_size} must be a multiple of the {channel.n_users} users"
        )
    codec, refiner = (
        (receiver.codec, receiver.refiner)
        if isinstance(receiver, RefinedCodec)
        else (receiver, None)
    )
    if isinstance(receiver, RefinedCodec) and receiver.steps is not None:
        receiver.refiner.set_steps(receiver.steps)  # type: ignore[operator]
    gen_channel = make_generator(noise_seed(seed, snr_db), device)
    gen_refiner = make_generator(noise_seed(seed, snr_db) + 1, device)
    scores: dict[str, list[torch.Tensor]] = {"psnr": [], "ssim": [], "lpips": [], "ms_ssim": []}
    for x, _ in data.iter_batches(batch_size, shuffle=False, generator=None):
        x = x.to(device)
        x_hat = codec(x, channel, snr_db, gen_channel)["x_hat"]
        if refiner is not None:
            x_hat = refiner(x_hat, snr_db, gen_refiner)
        x_hat = x_hat.clamp(0, 1)
        scores["psnr"].append(psnr(x_hat, x).cpu())
        scores["ssim"].append(ssim(x_hat, x).cpu())
        ms = ms_ssim(x_hat, x)
        if ms is not None:
            scores["ms_ssim"].append(ms.cpu())
        if lpips_metric is not None:
            scores["lpips"].append(lpips_metric(x_hat, x).cpu())
    return {k: torch.cat(v).float() for k, v in scores.items() if v}


def _receivers(options: RecipeOptions, channel: str, device: torch.device) -> dict[str, Receiver]:
    """MU-GSC (codec + refiner) and MU-NGF (codec alone) from the channel's link."""
    link = load_link(options.link(channel))
    codec: Codec = link.build_codec(device).eval()
    refiner = link.build_refiner(device)
    assert refiner is not None  # load_link refuses codec checkpoints
    return {"MU-GSC": RefinedCodec(codec, refiner.eval()), "MU-NGF": codec}


def mu_rows(
    options: RecipeOptions,
    data: ImageDataset,
    snrs_db: Sequence[float],
    lpips_metric: AlexLPIPS | None = None,
) -> tuple[list[SweepRow], list[UserRow]]:
    """Every panel of ``options.channels``, method, detector and SNR (dB) on ``data``.

    ``data`` holds whole groups of :data:`USERS` images (:func:`whole_groups`).

    Returns:
        ``(means, users)``: one :class:`SweepRow` per (channel, method, SNR), the mean
        over all images (= over the users, who send as many), and one :class:`UserRow`
        per user of each.
    """
    device = resolve_device(options.device)
    means: list[SweepRow] = []
    users: list[UserRow] = []
    user_of = torch.arange(len(data)) % USERS
    total = sum(2 * len(PANELS[c].detectors) for c in options.channels) * len(snrs_db)
    with make_progress(options.progress) as bar:
        task = bar.add_task("MU-GSC", total=total, status="")
        for channel in options.channels:
            panel = PANELS[channel]
            receivers = _receivers(options, channel, device)
            for receiver in receivers.values():
                codec = receiver.codec if isinstance(receiver, RefinedCodec) else receiver
                check_compatible(codec, data)
                if needs_tiling(codec, data):
                    raise SemcomError(
                        f"MU-GSC sends whole images: the data's {data.height}x{data.width} "
                        f"images are not the codec's {codec.image_size[0]}x{codec.image_size[1]}"
                    )
            for detector in panel.detectors:
                mimo = MultiUserMIMO(USERS, ANTENNAS, detector, panel.fading).to(device)
                note = f"{USERS} users -> {ANTENNAS} antennas, fading {panel.fading}, {detector}"
                for base, receiver in receivers.items():
                    method = method_label(base, detector, panel)
                    for snr in snrs_db:
                        bar.update(task, status=f"{method} {channel} {snr:g} dB")
                        sc = per_image_scores(
                            receiver, mimo, data, float(snr), seed=options.seed,
                            device=device, lpips_metric=lpips_metric,
                        )  # fmt: skip
                        lp = sc.get("lpips")
                        ms = sc.get("ms_ssim")
                        means.append(
                            SweepRow(
                                method, channel, float(snr), float(sc["psnr"].mean()),
                                float(sc["ssim"].mean()),
                                float(ms.mean()) if ms is not None else None, len(data),
                                None, note, float(lp.mean()) if lp is not None else None,
                            )
                        )  # fmt: skip
                        for u in range(USERS):
                            mine = user_of == u
                            users.append(
                                UserRow(
                                    method, channel, panel.fading, detector, float(snr), u + 1,
                                    float(sc["psnr"][mine].mean()),
                                    float(sc["ssim"][mine].mean()),
                                    float(lp[mine].mean()) if lp is not None else None,
                                    int(mine.sum()),
                                )
                            )  # fmt: skip
                        bar.update(task, advance=1)
    return means, users


def write_user_csv(rows: list[UserRow], path: Path) -> Path:
    """Write ``rows`` with a header line (``lpips`` empty when absent); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(UserRow.__dataclass_fields__))
        w.writeheader()
        for r in rows:
            d = asdict(r)
            d["lpips"] = "" if r.lpips is None else r.lpips
            w.writerow(d)
    return path


def _run(
    options: RecipeOptions, stem: str, metric: str, ylabel: str, lpips_metric: AlexLPIPS | None
) -> list[Path]:
    data = whole_groups(eval_data(options, cpu_limit=256))
    STDERR.print(
        f"MU-GSC: {len(data)} images, {len(data) // USERS} groups of {USERS} users -> "
        f"{ANTENNAS} antennas",
        highlight=False,
    )
    means, users = mu_rows(options, data, snrs_for(options), lpips_metric)
    csv_path = options.out / f"{stem}.csv"
    write_csv(means, csv_path)
    users_path = write_user_csv(users, options.out / f"{stem}_users.csv")
    fig = "4c-d" if stem == "fig4cd" else "5c-d"
    png = plot_per_channel(
        means, metric, ylabel, options.out / f"{stem}.png",
        f"Paper 003 Fig. {fig} (MU-GSC, {USERS} users -> {ANTENNAS} antennas, mean over "
        f"users) — {data.name}, {len(data)} images",
        titles={c: p.title for c, p in PANELS.items()},
    )  # fmt: skip
    return [csv_path, users_path, png]


@RECIPES.register(
    "003-fig4cd", summary="MU-GSC PSNR vs SNR: 3 users -> 3 antennas, H = I / Rayleigh"
)
def fig4cd(options: RecipeOptions) -> list[Path]:
    """Run Figs. 4c-d (module docstring)."""
    return _run(options, "fig4cd", "psnr_db", "PSNR (dB)", None)


@RECIPES.register("003-fig5cd", summary="MU-GSC LPIPS vs SNR (needs LPIPS weights)")
def fig5cd(options: RecipeOptions) -> list[Path]:
    """Run Figs. 5c-d (module docstring); needs the LPIPS weights, as ``003-fig5``."""
    metric = lpips_for(options, "003-fig5cd")
    return _run(options, "fig5cd", "lpips", "LPIPS (AlexNet, lower is better)", metric)
