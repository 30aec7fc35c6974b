"""What a federated run computes, independent of Flower: data, model, local steps, scores.

The Flower apps (:mod:`semcom.federated.client_app`, :mod:`semcom.federated.server_app`)
and the plain in-process loop of the benchmark call these same functions, so the two
differ only in how messages travel.

* :func:`client_images`: the images of client ``k`` (partition of ``data.spec``);
* :func:`build_model`: the codec every client trains, initialised from ``fl.seed``;
* :func:`local_train`: ``local_epochs`` of Adam on a client's images at its round SNR;
* :func:`score`: MSE loss, PSNR and classifier accuracy of a model on test images.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from semcom.codecs.base import Codec
from semcom.data import ImageDataset, dirichlet_partition, iid_partition, load_images
from semcom.errors import SemcomError
from semcom.federated.config import FLConfig
from semcom.link import SemanticLink
from semcom.metrics import psnr
from semcom.registry import create_channel, create_codec
from semcom.seeding import make_generator


@functools.lru_cache(maxsize=4)
def _train_data(spec: str, limit: int = 0) -> ImageDataset:
    data = load_images(spec, "train")
    return data.head(limit) if limit else data


@functools.lru_cache(maxsize=4)
def _test_data(spec: str, n: int) -> ImageDataset:
    return load_images(spec, "eval").head(n)


@functools.lru_cache(maxsize=8)
def _partition(
    spec: str, clients: int, kind: str, alpha: float, seed: int, min_size: int, limit: int
) -> tuple[np.ndarray, ...]:
    data = _train_data(spec, limit)
    if clients > len(data):
        raise SemcomError(
            f"{clients} clients but data {spec!r} has only {len(data)} training images"
        )
    if kind == "iid":
        parts = iid_partition(len(data), clients, seed=seed)
        small = min(len(p) for p in parts)
        if small < min_size:
            raise SemcomError(
                f"an IID split of {len(data)} images among {clients} clients gives "
                f"{small} per client, fewer than data.min_size = {min_size}"
            )
        return tuple(parts)
    if data.labels is None:
        raise SemcomError(
            f"data {spec!r} has no labels, which a Dirichlet partition needs; "
            "set data.partition = 'iid'"
        )
    return tuple(dirichlet_partition(data.labels, clients, alpha, seed=seed, min_size=min_size))


def partitions(cfg: FLConfig) -> tuple[np.ndarray, ...]:
    """Index arrays of every client's training images (cached per process)."""
    d = cfg.data
    return _partition(
        d.spec, cfg.fl.clients, d.partition, d.dirichlet, cfg.fl.seed, d.min_size, d.train_images
    )


def train_images(cfg: FLConfig) -> ImageDataset:
    """All training images (the union of the clients')."""
    return _train_data(cfg.data.spec, cfg.data.train_images)


def client_images(cfg: FLConfig, partition_id: int) -> ImageDataset:
    """Client ``partition_id``'s training images."""
    parts = partitions(cfg)
    if not 0 <= partition_id < len(parts):
        raise SemcomError(f"partition-id {partition_id} is outside 0..{len(parts) - 1}")
    return _train_data(cfg.data.spec, cfg.data.train_images).subset(parts[partition_id])


def test_images(cfg: FLConfig) -> ImageDataset:
    """The server's test images (``data.eval_spec``, or ``data.spec`` in role eval)."""
    return _test_data(cfg.data.eval_spec or cfg.data.spec, cfg.data.eval_images)


def build_model(cfg: FLConfig, like: ImageDataset) -> Codec:
    """The codec of ``[model]`` sized for ``like``'s images, initialised from ``fl.seed``."""
    with torch.random.fork_rng():
        torch.manual_seed(cfg.fl.seed)
        codec = create_codec(
            cfg.model.codec,
            in_channels=like.channels,
            image_size=(like.height, like.width),
            cbr=cfg.model.cbr,
            **cfg.model.codec_options,
        )
    if not isinstance(codec, Codec):
        raise SemcomError(f"{cfg.model.codec!r} is not an image codec")
    return codec


@functools.lru_cache(maxsize=2)
def _classifier(spec: str) -> torch.nn.Module:
    from semcom.tasks.classifier import load_classifier

    return load_classifier(spec).build().eval().requires_grad_(False)


def classifier(cfg: FLConfig) -> torch.nn.Module | None:
    """The ``model.classifier`` network (frozen, eval mode), or ``None``."""
    return _classifier(cfg.model.classifier) if cfg.model.classifier else None


def compute_device(cfg: FLConfig) -> torch.device:
    """CUDA when ``simulation.client_gpus > 0`` and a GPU is visible, else the CPU."""
    if cfg.simulation.client_gpus > 0 and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def local_batches(
    cfg: FLConfig, n: int, seed: int, device: torch.device
) -> Iterator[tuple[torch.Tensor, torch.Generator]]:
    """A client's training order: ``train.local_epochs`` shuffled passes over ``n`` images
    in batches of ``train.batch_size``; yields each batch's indices ``[b] int64`` with the
    generator of its channel noise (on ``device``; both seeded by ``seed``)."""
    gen = torch.Generator().manual_seed(seed)  # shuffles
    noise = gen if device.type == "cpu" else make_generator(seed, device)
    bs = cfg.train.batch_size
    for _ in range(cfg.train.local_epochs):
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, bs):
            yield order[i : i + bs], noise


@dataclass(frozen=True)
class LocalResult:
    """One client's local training: examples seen, mean loss, wall seconds."""

    num_examples: int
    loss: float
    seconds: float


def local_train(
    cfg: FLConfig, codec: Codec, data: ImageDataset, snr_db: float, seed: int
) -> LocalResult:
    """Train ``codec`` in place: ``train.local_epochs`` of Adam over ``data`` at ``snr_db``.

    The loss is MSE, plus ``train.task_weight`` times the classifier's cross-entropy on
    the reconstruction (paper 001 Eq. 16) when that weight is positive.
    """
    import time

    t0 = time.perf_counter()
    device = compute_device(cfg)
    channel = create_channel(cfg.model.channel, **cfg.model.channel_options).to(device)
    link = SemanticLink(codec.to(device), channel).train()
    clf = classifier(cfg) if cfg.train.task_weight > 0 else None
    if clf is not None:
        clf = clf.to(device)
    opt = torch.optim.Adam(codec.parameters(), lr=cfg.train.lr)
    loss_sum, seen = 0.0, 0
    for idx, noise in local_batches(cfg, len(data), seed, device):
        x = data.batch(idx).to(device)
        out = link(x, snr_db, noise)
        loss = F.mse_loss(out["x_hat"], x)
        if clf is not None and data.labels is not None:
            loss = loss + cfg.train.task_weight * F.cross_entropy(
                clf(out["x_hat"]), data.labels[idx].to(device)
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        loss_sum += float(loss.detach()) * len(idx)
        seen += len(idx)
    codec.eval().to("cpu")
    return LocalResult(len(data), loss_sum / max(seen, 1), time.perf_counter() - t0)


@dataclass(frozen=True)
class Score:
    """A model on test images: MSE loss, PSNR (dB), accuracy (NaN without classifier)."""

    loss: float
    psnr_db: float
    accuracy: float
    num_examples: int


@torch.no_grad()
def score(cfg: FLConfig, codec: Codec, data: ImageDataset, snr_db: float, seed: int = 0) -> Score:
    """Send ``data`` through ``codec`` over ``model.channel`` at ``snr_db`` and score it."""
    device = compute_device(cfg)
    channel = create_channel(cfg.model.channel, **cfg.model.channel_options).to(device)
    link = SemanticLink(codec.to(device), channel).eval()
    clf = classifier(cfg)
    if clf is not None:
        clf = clf.to(device)
    gen = make_generator(seed, device)
    mse_sum, psnr_sum, correct, n = 0.0, 0.0, 0, 0
    for i in range(0, len(data), 128):
        x = data.batch(slice(i, i + 128)).to(device)
        x_hat = link(x, snr_db, gen)["x_hat"].clamp(0, 1)
        mse_sum += float(F.mse_loss(x_hat, x, reduction="sum")) / x[0].numel()
        psnr_sum += float(psnr(x_hat, x).sum())
        if clf is not None and data.labels is not None:
            labels = data.labels[i : i + 128].to(device)
            correct += int((clf(x_hat).argmax(1) == labels).sum())
        n += len(x)
    codec.to("cpu")
    acc = correct / n if clf is not None and data.labels is not None else math.nan
    return Score(mse_sum / n, psnr_sum / n, acc, n)
