"""The twin life cycle: initialise a store from health records, train a model per
cluster, and sync every physical twin into its virtual twin over the channel.

- :func:`init_twins`: validate the CSV (all or nothing), draw each user's mean SNR and
  compute class, select nodes (:mod:`semcom.twin.clustering`) and register one physical
  twin per record (its newest record kept in its profile).
- :func:`train_cluster_models`: per cluster, train paper 000's multimodal codec on the
  cluster's records (80 / 20 split, seeded; one featurizer fitted on every cluster's
  training records) over the channel at the users' SNRs; then the content-generation
  layer (:mod:`semcom.twin.content`: one generator trained on every cluster's
  reconstructions, customised per cluster); save each cluster's codec with its
  generator and register it as the cluster's next model version, with its test error
  rate and content accuracy. (Centralised per cluster; the federated two-phase FLeS
  training registers its customised models the same way.)
- :func:`sync_twins`: for every twin, its newest record goes through its cluster's newest
  model and the channel at the twin's mean SNR; the regenerated record (its text fields
  written by the cluster's content generator, whose note is kept under ``"note"``) is
  appended as a new virtual-twin version with its provenance (model version, SNR, bits on
  the air, latency). A record that fails validation is refused, logged as a ``failed`` sync event
  with its reason, and nothing else is written.

Bits on the air: a record is ``k`` complex symbols; ``bits`` counts them as float32 I/Q
pairs (``64 k``), the payload a digitised fronthaul would carry.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from semcom.codecs.multimodal import (
    CATEGORICAL_COLUMNS,
    HealthFeaturizer,
    HealthRecordCodec,
    semantic_error_rate,
)
from semcom.data.health import (
    HEALTH_SCHEMA,
    HealthRecords,
    Value,
    load_health_records,
    validate_health_row,
)
from semcom.errors import SemcomError
from semcom.registry import create_channel
from semcom.train.checkpoint import atomic_save
from semcom.twin.clustering import FEATURES, select_nodes, user_profiles
from semcom.twin.content import ContentGenerator, conditioning, fit_content_layer, note_fields
from semcom.twin.store import ModelInfo, TwinInfo, TwinStore

__all__ = [
    "SyncReport",
    "init_twins",
    "load_cluster_model",
    "sync_twins",
    "train_cluster_models",
    "twin_record",
]

#: Bits per complex channel symbol counted in a version's provenance (float32 I/Q).
BITS_PER_SYMBOL = 64


def init_twins(
    store: TwinStore,
    csv_path: str | Path,
    n_clusters: int = 3,
    features: tuple[str, ...] = FEATURES,
    seed: int = 0,
) -> dict[str, int]:
    """Register one physical twin per record of ``csv_path`` (module docstring).

    Returns:
        ``{cluster: number of twins}``.
    """
    records = load_health_records(csv_path)
    ids = [f"p{i:04d}" for i in range(len(records))]
    profiles = user_profiles(records, seed=seed, ids=ids)
    clusters = select_nodes(profiles, features, n_clusters, seed=seed)
    store.add_twins(
        (
            p.user_id,
            cluster,
            {
                "activity": p.activity,
                "mean_snr_db": p.mean_snr_db,
                "compute_class": p.compute_class,
                "record": records.rows[i],
            },
        )
        for i, (p, cluster) in enumerate(zip(profiles, clusters, strict=True))
    )
    out: dict[str, int] = {}
    for c in clusters:
        out[c] = out.get(c, 0) + 1
    return dict(sorted(out.items()))


def twin_record(twin: TwinInfo) -> dict[str, Value]:
    """The twin's newest record, validated (a :class:`SemcomError` names the field)."""
    raw = twin.profile.get("record")
    if not isinstance(raw, dict):
        raise SemcomError(f"twin {twin.id!r} has no record")
    text = {k: "" if v is None else str(v) for k, v in raw.items()}
    return validate_health_row(text, f"twin {twin.id!r}")


def cluster_slug(cluster: str) -> str:
    """A cluster name as a file-name stem (``"Mild Activity"`` -> ``"mild-activity"``)."""
    return "".join(c if c.isalnum() else "-" for c in cluster.lower())


def save_codec(
    codec: HealthRecordCodec, path: Path, content: ContentGenerator | None = None
) -> str:
    """Write ``codec`` (config + weights) and, given one, the cluster's content
    generator, whole or not at all; returns the file's sha256."""
    payload: dict[str, Any] = {"config": codec.config(), "state_dict": codec.state_dict()}
    if content is not None:
        payload["content"] = {"config": content.config(), "state_dict": content.state_dict()}
    atomic_save(payload, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train_cluster_models(
    store: TwinStore,
    models_dir: str | Path,
    epochs: int = 40,
    k: int = 16,
    lr: float = 3e-3,
    batch_size: int = 32,
    seed: int = 0,
    channel: str = "awgn",
    progress: Callable[[str], None] | None = None,
    content_epochs: int = 30,
) -> list[ModelInfo]:
    """Train and register one model per cluster (module docstring); returns them."""
    if epochs < 1 or content_epochs < 1:
        raise SemcomError(f"epochs must be >= 1, got {min(epochs, content_epochs)}")
    ch = create_channel(channel)  # an unknown name fails here, before any training
    twins = store.twins()
    if not twins:
        raise SemcomError("the store has no twins; run: semcom twin init --db URL --data CSV")
    by_cluster: dict[str, list[TwinInfo]] = {}
    for t in twins:
        by_cluster.setdefault(t.cluster, []).append(t)
    splits: dict[str, tuple[HealthRecords, HealthRecords, torch.Tensor, torch.Tensor]] = {}
    for cluster, members in sorted(by_cluster.items()):
        rows, snrs = [], []
        for t in members:
            try:
                rows.append(twin_record(t))
                snrs.append(float(t.profile.get("mean_snr_db", 10.0)))
            except SemcomError:
                continue  # a malformed record trains nothing; sync reports it
        if len(rows) < 5:
            raise SemcomError(f"cluster {cluster!r} has {len(rows)} valid records; need >= 5")
        recs = HealthRecords(tuple(rows))
        order = np.random.default_rng(seed).permutation(len(recs))
        n_train = round(0.8 * len(recs))
        snr = torch.tensor(snrs, dtype=torch.float32)[torch.from_numpy(order)]
        splits[cluster] = (
            recs.subset(order[:n_train]),
            recs.subset(order[n_train:]),
            snr[:n_train],
            snr[n_train:],
        )
    # one featurizer for every cluster: the content layer's global generator reads all
    feat = HealthFeaturizer.fit(HealthRecords(tuple(r for v in splits.values() for r in v[0].rows)))
    codecs: dict[str, HealthRecordCodec] = {}
    metrics: dict[str, dict[str, Any]] = {}
    for cluster, (train, test, snr_train, snr_test) in splits.items():
        torch.manual_seed(seed)
        codec = HealthRecordCodec(feat, k=k)
        btr, bte = feat.encode(train), feat.encode(test)
        opt = torch.optim.Adam(codec.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed)
        for epoch in range(epochs):
            codec.train()
            perm = torch.randperm(len(btr), generator=gen)
            for i in range(0, len(btr), batch_size):
                idx = perm[i : i + batch_size]
                b = btr.index(idx)
                loss = codec.loss(codec(b, ch, snr_train[idx], gen), b)
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
            if progress is not None:
                progress(f"{cluster}: epoch {epoch + 1}/{epochs}")
        codec.eval()
        with torch.no_grad():
            m = semantic_error_rate(codec(bte, ch, snr_test, gen), bte, feat)
        codecs[cluster] = codec
        metrics[cluster] = {**m, "train_records": len(train), "test_records": len(test)}
    content = fit_content_layer(
        codecs,
        {c: v[0] for c, v in splits.items()},
        {c: v[1] for c, v in splits.items()},
        ch,
        {c: float(v[2].mean()) for c, v in splits.items()},
        epochs=content_epochs,
        seed=seed,
        progress=progress,
    )
    out = []
    for cluster, codec in codecs.items():
        previous = store.model_for(cluster)
        version = previous.version + 1 if previous is not None else 1
        path = Path(models_dir) / f"{cluster_slug(cluster)}-v{version}.pt"
        sha = save_codec(codec, path, content.models[cluster])
        out.append(
            store.register_model(
                cluster,
                "multimodal-centralised",
                checkpoint=f"{path.resolve()}#sha256={sha}",
                metrics={
                    **metrics[cluster],
                    "channel": channel,
                    "content": content.metrics.get(cluster, {}),
                },
            )
        )
    return out


def _read_checkpoint(model: ModelInfo) -> dict[str, Any]:
    if not model.checkpoint:
        raise SemcomError(f"model version {model.id} has no checkpoint")
    path_text, _, sha = model.checkpoint.partition("#sha256=")
    path = Path(path_text)
    if not path.exists():
        raise SemcomError(f"the checkpoint of model version {model.id} is missing: {path}")
    if sha and hashlib.sha256(path.read_bytes()).hexdigest() != sha:
        raise SemcomError(f"the checkpoint {path} does not match its registered sha256")
    ckpt: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    return ckpt


def load_cluster_model(model: ModelInfo) -> HealthRecordCodec:
    """The codec of a registered model version (hash-checked)."""
    return _load(_read_checkpoint(model))[0]


def _load(ckpt: dict[str, Any]) -> tuple[HealthRecordCodec, ContentGenerator | None]:
    codec = HealthRecordCodec.from_state_dict(ckpt["state_dict"], ckpt["config"]).eval()
    content = ckpt.get("content")
    if content is None:
        return codec, None
    return codec, ContentGenerator.from_state_dict(content["state_dict"], content["config"])


@dataclass(frozen=True)
class SyncReport:
    """How many twins synced and which failed (id -> reason)."""

    ok: int
    failed: dict[str, str]


def sync_twins(
    store: TwinStore,
    twin_ids: list[str] | None = None,
    channel: str | None = None,
    seed: int = 0,
) -> SyncReport:
    """Push every (or each listed) twin's newest record through its cluster's newest
    model and the channel at its mean SNR; append the regenerated record as a version.
    ``channel``: the registered channel to send over (default: the one each model was
    trained on, ``awgn`` for a model that does not say)."""
    fixed = create_channel(channel) if channel is not None else None  # fails on a bad name
    twins = [store.twin(i) for i in twin_ids] if twin_ids else store.twins()
    links: dict[str, Any] = {}
    gen = torch.Generator().manual_seed(seed)
    models: dict[str, tuple[ModelInfo, HealthRecordCodec, ContentGenerator | None]] = {}
    ok, failed = 0, {}
    for twin in twins:
        try:
            record = twin_record(twin)
        except SemcomError as e:
            store.record_failed_sync(twin.id, str(e))
            failed[twin.id] = str(e)
            continue
        if twin.cluster not in models:
            info = store.model_for(twin.cluster)
            if info is None:
                raise SemcomError(
                    f"no model serves cluster {twin.cluster!r}; run: semcom twin train --db URL"
                )
            models[twin.cluster] = (info, *_load(_read_checkpoint(info)))
            trained_on = str(info.metrics.get("channel", "awgn"))
            links[twin.cluster] = fixed if fixed is not None else create_channel(trained_on)
        info, codec, writer = models[twin.cluster]
        snr_db = float(twin.profile.get("mean_snr_db", 10.0))
        t0 = time.perf_counter()
        with torch.no_grad():
            batch = codec.featurizer.encode(HealthRecords((record,)))
            out = codec(batch, links[twin.cluster], snr_db, gen)
            state: dict[str, Any] = codec.featurizer.decode(out)[0]
            if writer is not None:  # the content layer writes the text fields
                note = writer.generate(conditioning(out))[0]
                levels = dict(zip(CATEGORICAL_COLUMNS, codec.featurizer.levels, strict=True))
                state.update(note_fields(note, levels))
                state["note"] = note
        latency = time.perf_counter() - t0
        state = {c.name: state[c.name] for c in HEALTH_SCHEMA} | (
            {"note": state["note"]} if "note" in state else {}
        )
        store.append_version(
            twin.id,
            state,
            model_version_id=info.id,
            snr_db=snr_db,
            bits=BITS_PER_SYMBOL * codec.k,
            latency_s=latency,
        )
        ok += 1
    return SyncReport(ok, failed)
