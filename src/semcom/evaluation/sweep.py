"""SNR sweeps: every checkpoint at every SNR, one results table.

The noise of SNR ``s`` comes from a generator seeded by ``(seed, s)`` and is re-seeded
for each checkpoint, so all methods see the same noise realisation at a given SNR.

Images of the codec's size are sent as batches. Any other images (a ``folder:`` of
photographs, ``patches:64`` for a 32 px codec) are evaluated by tiling: each image is
cut into tiles of the codec's size (:func:`semcom.tiling.tile_image`), its tiles are sent
as one batch, and the metrics are computed on the stitched image, once per image.

Example:
    >>> import semcom
    >>> from semcom.data import load_images
    >>> from semcom.evaluation import sweep_codecs
    >>> codec = semcom.load("zoo:deepjscc-cifar10-awgn").codec
    >>> data = load_images("patches", "eval").head(32)
    >>> rows = sweep_codecs({"zoo": codec}, data, ["awgn"], [0.0, 20.0], progress=False)
    >>> [(r.snr_db, r.n_images) for r in rows], rows[1].psnr_db > rows[0].psnr_db
    ([(0.0, 32), (20.0, 32)], True)
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch

from semcom.codecs.base import Codec
from semcom.data import ImageDataset, ImageFolder
from semcom.digital.method import DigitalMethod
from semcom.errors import SemcomError
from semcom.evaluation.scores import Scores
from semcom.link import SemanticLink
from semcom.metrics import ms_ssim, psnr, ssim
from semcom.metrics.lpips import AlexLPIPS
from semcom.registry import create_channel
from semcom.seeding import make_generator
from semcom.tasks.classifier import accuracy
from semcom.train.progress import make_progress
from semcom.transmission import image_quality, send_image

#: What a sweep evaluates: same-size images, or whole images of any size.
EvalData = ImageDataset | ImageFolder


@dataclass
class RefinedCodec:
    """A codec followed by a refiner (a link checkpoint), evaluated with ``steps`` reverse
    diffusion steps (``None``: the refiner's own setting)."""

    codec: Codec
    refiner: torch.nn.Module
    steps: int | None = None

    def __post_init__(self) -> None:
        from semcom.refiners.base import check_refiner_matches

        check_refiner_matches(self.codec, self.refiner)
        if self.steps is not None:
            self.refiner.set_steps(self.steps)  # type: ignore[operator]  # validates 1..T


#: A sweep's learned method: a codec alone (NGF) or a codec and its refiner.
Receiver = Codec | RefinedCodec


def _parts(model: Receiver) -> tuple[Codec, torch.nn.Module | None, int | None]:
    if isinstance(model, RefinedCodec):
        return model.codec, model.refiner, model.steps
    return model, None, None


#: The first line of ``results.csv``: what the columns mean (read with ``comment="#"``).
CSV_NOTE = (
    "# psnr_db, ssim, ms_ssim: mean over images of the per-image value "
    "(PSNR in dB, peak 1); ms_ssim empty for images under 176 px; delivered: digital "
    "methods' fraction of images decoded (empty for learned codecs)"
)


@dataclass(frozen=True)
class SweepRow:
    """One line of a sweep. Columns are only ever added at the end.

    Attributes:
        method: label of the checkpoint (file name without ``.pt``).
        channel: registered channel name.
        snr_db: channel SNR in dB.
        psnr_db: mean over images of per-image PSNR, dB.
        ssim: mean per-image SSIM (NaN if no image reaches 11 px).
        ms_ssim: mean per-image MS-SSIM, ``None`` for images under 176 px.
        n_images: images evaluated.
        delivered: digital methods: fraction of images whose bitstream was decoded
            (the others show the mean image); ``None`` for learned codecs.
        note: why a digital method could not code some images, else empty.
        lpips: mean per-image LPIPS (AlexNet, lower is better) when weights are available.
        accuracy: fraction of reconstructions a classifier labels right (``--classifier``
            or the one trained with the codec), for labelled same-size images.
    """

    method: str
    channel: str
    snr_db: float
    psnr_db: float
    ssim: float
    ms_ssim: float | None
    n_images: int
    delivered: float | None = None
    note: str = ""
    lpips: float | None = None
    accuracy: float | None = None


COLUMNS = [f.name for f in fields(SweepRow)]


def noise_seed(seed: int, snr_db: float) -> int:
    """The noise seed used at ``snr_db`` (dB): fixed per ``(seed, snr_db)``."""
    return seed * 1_000_003 + round(snr_db * 1000) % 1_000_003


def refiner_noise_seed(seed: int, snr_db: float) -> int:
    """The seed of a refiner's own noise at ``snr_db`` (dB): a stream apart from the
    channel's (:func:`noise_seed`), so that a codec with and without its refiner is scored
    on the same channel realisations."""
    return noise_seed(seed, snr_db) ^ (1 << 40)


def check_compatible(codec: Codec, data: EvalData) -> None:
    """Raise :class:`SemcomError` unless ``data``'s images have the codec's channels."""
    if data.channels != codec.in_channels:
        kind = "greyscale" if codec.in_channels == 1 else "RGB"
        raise SemcomError(
            f"codec expects {kind} images ({codec.in_channels} channel(s)), data {data.name!r} "
            f"has {data.channels}"
        )


def needs_tiling(codec: Codec, data: EvalData) -> bool:
    """Whether ``data`` is evaluated image by image through tiles (see the module docstring)."""
    return isinstance(data, ImageFolder) or (data.height, data.width) != codec.image_size


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _evaluate_tiled(
    link: SemanticLink,
    images: Iterable[torch.Tensor],
    snr_db: float,
    gen: torch.Generator,
    refiner_gen: torch.Generator,
    batch_size: int,
    lpips_metric: AlexLPIPS | None,
) -> Scores:
    """Metrics of whole ``images`` (each ``[C, H, W]`` float in [0, 1]) sent as tiles."""
    p, s, m, lp = [], [], [], []
    for image in images:
        received = send_image(
            link, image, snr_db, gen, batch_size=batch_size, refiner_generator=refiner_gen
        )
        quality = image_quality(received, image)
        p.append(quality[0])
        s += [quality[1]] if quality[1] is not None else []
        m.append(quality[2])
        if lpips_metric is not None:
            lp.append(float(lpips_metric(received[None], image[None].to(received.device))[0]))
    ms_defined = all(v is not None for v in m)
    return Scores(
        _mean(p),
        _mean(s),
        _mean([v for v in m if v is not None]) if ms_defined else None,
        _mean(lp) if lpips_metric is not None else None,
    )


@torch.no_grad()
def evaluate_codec(
    model: Receiver,
    data: EvalData,
    channel_name: str,
    snr_db: float,
    *,
    batch_size: int = 256,
    seed: int = 0,
    device: torch.device | str = "cpu",
    lpips_metric: AlexLPIPS | None = None,
    classifier: torch.nn.Module | None = None,
) -> Scores:
    """Mean per-image PSNR (dB), SSIM, MS-SSIM (and LPIPS, accuracy) of ``data`` at ``snr_db``.

    ``model`` is a codec or a :class:`RefinedCodec`; either way the images go through
    :class:`~semcom.link.SemanticLink`; the channel's noise comes from a generator seeded
    with :func:`noise_seed`, the refiner's diffusion noise from one of its own
    (:func:`refiner_noise_seed`), so a codec is scored with and without its refiner on the
    same channel realisations.

    ``data`` is an :class:`ImageDataset` (``[N, C, H, W]``) or an :class:`ImageFolder`
    (images of any size); images not of the codec's size are evaluated by tiling (module
    docstring). MS-SSIM is ``None`` unless every image is at least 176 px; SSIM is the mean over
    images of at least 11 px (NaN if none is); LPIPS is ``None`` without ``lpips_metric``;
    accuracy is ``None`` without ``classifier``, labels, or when tiling.
    """
    codec, refiner, steps = _parts(model)
    check_compatible(codec, data)
    channel = create_channel(channel_name).to(device)
    if steps is not None and refiner is not None:
        refiner.set_steps(steps)  # type: ignore[operator]
    link = SemanticLink(codec, channel, refiner).to(device).eval()
    gen = make_generator(noise_seed(seed, snr_db), device)
    refiner_gen = make_generator(refiner_noise_seed(seed, snr_db), device)
    if needs_tiling(codec, data):
        # one image in float at a time: a folder of large photographs stays uint8 in memory
        images: Iterable[torch.Tensor] = (
            (data.image(i) for i in range(len(data)))
            if isinstance(data, ImageFolder)
            else (data.batch(slice(i, i + 1))[0] for i in range(len(data)))
        )
        return _evaluate_tiled(link, images, snr_db, gen, refiner_gen, batch_size, lpips_metric)
    assert isinstance(data, ImageDataset)
    p, s, m, lp = [], [], [], []
    right = 0
    use_classifier = classifier is not None and data.labels is not None
    for x, y in data.iter_batches(batch_size, shuffle=False, generator=None):
        x = x.to(device)
        x_hat = link(x, snr_db, gen, refiner_gen)["x_hat"].clamp(0, 1)
        p.append(psnr(x_hat, x))
        s.append(ssim(x_hat, x))
        ms = ms_ssim(x_hat, x)
        if ms is not None:
            m.append(ms)
        if lpips_metric is not None:
            lp.append(lpips_metric(x_hat, x))
        if use_classifier and y is not None:
            assert classifier is not None
            right += int(accuracy(classifier, x_hat, y).sum())
    ms_mean = float(torch.cat(m).mean()) if m else None
    lp_mean = float(torch.cat(lp).mean()) if lp else None
    acc = right / len(data) if use_classifier else None
    return Scores(float(torch.cat(p).mean()), float(torch.cat(s).mean()), ms_mean, lp_mean, acc)


def sweep_codecs(
    codecs: dict[str, Codec] | dict[str, Receiver],
    data: EvalData,
    channels: list[str],
    snrs_db: list[float],
    *,
    digital: Sequence[DigitalMethod] = (),
    cbr: float | None = None,
    batch_size: int = 256,
    seed: int = 0,
    device: torch.device | str = "cpu",
    progress: bool = True,
    lpips_metric: AlexLPIPS | None = None,
    classifiers: dict[str, torch.nn.Module | None] | None = None,
) -> list[SweepRow]:
    """Evaluate every codec and digital method over every channel at every SNR (dB).

    Rows come codec by codec, then method by method, each over channels then SNRs.
    ``classifiers`` maps a method label (or ``"*"``, for every method) to the classifier
    whose accuracy on the reconstructions fills the ``accuracy`` column.
    ``data``: see :func:`evaluate_codec`. Digital methods use ``cbr`` (default: the
    codecs' common cbr, else 1/6) so that they get the same channel uses per image.
    """
    for ch in channels:
        create_channel(ch)  # fail fast on unknown names
    for model in codecs.values():
        check_compatible(_parts(model)[0], data)
    if digital:
        cbr = _digital_cbr(codecs, cbr)
    rows: list[SweepRow] = []
    total = (len(codecs) + len(digital)) * len(channels) * len(snrs_db)
    with make_progress(progress) as bar:
        task = bar.add_task("sweep", total=total, status="")
        for method, codec in codecs.items():
            for part in _parts(codec)[:2]:
                if part is not None:
                    part.to(device).eval()
            for ch in channels:
                for snr in snrs_db:
                    bar.update(task, status=f"{method} {ch} {snr:g} dB")
                    sc = evaluate_codec(
                        codec,
                        data,
                        ch,
                        snr,
                        batch_size=batch_size,
                        seed=seed,
                        device=device,
                        lpips_metric=lpips_metric,
                        classifier=_classifier_for(classifiers, method),
                    )
                    rows.append(
                        SweepRow(
                            method,
                            ch,
                            float(snr),
                            *sc[:3],
                            len(data),
                            None,
                            "",
                            sc.lpips,
                            sc.accuracy,
                        )
                    )
                    bar.update(task, advance=1)
        if digital:
            from semcom.evaluation.digital_eval import channel_means, evaluate_digital

            mean = channel_means(data)
            assert cbr is not None
            for dm in digital:
                for ch in channels:
                    for snr in snrs_db:
                        bar.update(task, status=f"{dm.label} {ch} {snr:g} dB")
                        sc, ok, note = evaluate_digital(
                            dm,
                            data,
                            ch,
                            snr,
                            cbr=cbr,
                            seed_value=noise_seed(seed, snr),
                            mean=mean,
                            lpips_metric=lpips_metric,
                            classifier=_classifier_for(classifiers, dm.label),
                        )
                        rows.append(
                            SweepRow(
                                dm.label,
                                ch,
                                float(snr),
                                *sc[:3],
                                len(data),
                                ok,
                                note,
                                sc.lpips,
                                sc.accuracy,
                            )
                        )
                        bar.update(task, advance=1)
    return rows


def _classifier_for(
    classifiers: dict[str, torch.nn.Module | None] | None, method: str
) -> torch.nn.Module | None:
    if not classifiers:
        return None
    return classifiers.get(method) or classifiers.get("*")


def _digital_cbr(codecs: dict[str, Codec] | dict[str, Receiver], cbr: float | None) -> float:
    """The bandwidth ratio digital methods get: ``cbr`` or the codecs' common one."""
    ratios = {round(_parts(c)[0].cbr_requested, 9) for c in codecs.values()}
    if cbr is not None:
        return cbr
    if len(ratios) > 1:
        raise SemcomError(
            "the checkpoints use different cbr values; give the digital methods one with --cbr"
        )
    return ratios.pop() if ratios else 1 / 6


def write_csv(rows: list[SweepRow], path: Path) -> None:
    """Write ``rows`` to ``path``: a ``#`` note line, the header, one line per row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        f.write(CSV_NOTE + "\n")
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            d = asdict(r)
            d["ms_ssim"] = "" if r.ms_ssim is None else r.ms_ssim
            d["delivered"] = "" if r.delivered is None else r.delivered
            d["lpips"] = "" if r.lpips is None else r.lpips
            d["accuracy"] = "" if r.accuracy is None else r.accuracy
            w.writerow(d)


def read_csv(path: Path) -> list[SweepRow]:
    """Read a ``results.csv`` written by :func:`write_csv`."""
    with path.open() as f:
        lines = [line for line in f if not line.startswith("#")]
    rows = []
    for d in csv.DictReader(lines):
        rows.append(
            SweepRow(
                d["method"],
                d["channel"],
                float(d["snr_db"]),
                float(d["psnr_db"]),
                float(d["ssim"]),
                float(d["ms_ssim"]) if d["ms_ssim"] else None,
                int(d["n_images"]),
                float(d["delivered"]) if d.get("delivered") else None,
                d.get("note") or "",
                float(d["lpips"]) if d.get("lpips") else None,
                float(d["accuracy"]) if d.get("accuracy") else None,
            )
        )
    return rows


def rows_as_json(rows: list[SweepRow]) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts (NaN never appears; missing MS-SSIM is ``null``)."""
    out = []
    for r in rows:
        d = asdict(r)
        for k, v in d.items():
            if isinstance(v, float) and not math.isfinite(v):
                d[k] = None
        out.append(d)
    return out
