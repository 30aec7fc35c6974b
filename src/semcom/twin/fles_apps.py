"""FLeS on Flower: a ServerApp (cluster receivers + cloud) and a ClientApp (users), and
:func:`run_fles` on Flower's simulation engine.

Every user is a SuperNode (``partition-id`` = its index in the run's
:func:`~semcom.twin.fles_config.layout`). The server first asks each node for its
partition id (a ``query`` message), then per round sends every user its cluster's model
and, for FLeS, the global shared-feature moments (``train`` messages); a user trains
locally (:func:`~semcom.twin.fles.local_round`; its domain gate stays in its Flower
state across rounds) and replies with the model, its gate and the moments of its shared
features. The server runs phase 1 (FedAvg inside each cluster) and, for FLeS, phase 2
(gated global aggregation, customisation: the next round's starting points), scores
every cluster's model — phase 1's result, which the cluster's receiver serves — on that
cluster's test records, prices the uploads with the wireless energy model (paper 001
Eqs. 12-14: the bits are the uploads' measured sizes) and appends a row per cluster to
``rounds.csv`` after every round.

At the end it writes each cluster's model (``models/<cluster>.pt``), the semantic
throughput per cluster (``summary.json``: bits of test records regenerated within
tolerance / (airtime at ``bandwidth_hz`` + measured compute time) of the receiver that
serves the cluster — FLeS has one per cluster, the other scenarios one for all; see
:func:`_receiver_throughput` — and the share regenerated at the tolerances of
:data:`TOLERANCE_STUDY`), trains the
content-generation layer on what every cluster's model reconstructs
(:func:`~semcom.twin.content.fit_content_layer`: global, then customised per cluster,
saved in the cluster's checkpoint; its accuracy under ``"content"`` per cluster in
``summary.json``) and, given a twin store, registers every cluster's model as that
cluster's next model version.
"""

from __future__ import annotations

import os

os.environ.setdefault("FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION", "1")

import csv
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.serverapp import Grid, ServerApp

from semcom.codecs.multimodal import HealthRecordCodec
from semcom.errors import SemcomError
from semcom.federated.config import WirelessSettings
from semcom.federated.nodes import wait_for_nodes
from semcom.federated.payload import from_record, to_record
from semcom.federated.wireless import WirelessModel
from semcom.twin.content import fit_content_layer
from semcom.twin.domain import DomainGate, FeatureMoments
from semcom.twin.fles import customise, evaluate, fedavg, global_aggregate, local_round
from semcom.twin.fles_config import (
    TOLERANCE_STUDY,
    FLeSSettings,
    Layout,
    layout,
    train_by_cluster,
)
from semcom.twin.sync import cluster_slug, save_codec

__all__ = [
    "ROUND_COLUMNS",
    "cluster_figures",
    "make_fles_client_app",
    "make_fles_server_app",
    "run_fles",
]

ROUND_COLUMNS = (
    "round",
    "cluster",
    "error_rate",
    "mae",
    "mse",
    "category_accuracy",
    "within_tolerance",
    "uplink_bits",
    "energy_j",
    "seconds",
)
GATE_KEY = "fles.gate"
OPTIMIZER_KEY = "fles.optimizer"


def _model(lay: Layout, s: FLeSSettings) -> HealthRecordCodec:
    return HealthRecordCodec(lay.featurizer, k=s.symbols)


def make_fles_client_app(s: FLeSSettings) -> ClientApp:
    """The users' ClientApp for settings ``s``."""
    app = ClientApp()

    @app.query()
    def _query(msg: Message, context: Context) -> Message:
        pid = int(context.node_config["partition-id"])
        return Message(RecordDict({"info": MetricRecord({"partition-id": pid})}), reply_to=msg)

    @app.train()
    def _train(msg: Message, context: Context) -> Message:
        pid = int(context.node_config["partition-id"])
        lay = layout(s)
        cfg = msg.content.config_records["config"]
        t = int(cfg["round"])  # type: ignore[arg-type]
        codec = _model(lay, s)
        codec.load_state_dict(from_record(msg.content.array_records["model"]))
        gate = DomainGate(2 * codec.hidden)
        if GATE_KEY in context.state.array_records:
            gate.load_state_dict(from_record(context.state.array_records[GATE_KEY]))
        kept = None
        if s.keep_optimizer and OPTIMIZER_KEY in context.state.array_records:
            kept = from_record(context.state.array_records[OPTIMIZER_KEY])
        moments = None
        if "moments" in msg.content.array_records:
            m = from_record(msg.content.array_records["moments"])
            moments = FeatureMoments(m["mean"], m["cov"], int(cfg["moment-count"]))  # type: ignore[arg-type]
        seed = s.seed * 100_003 + t * 1_009 + pid
        gen = torch.Generator().manual_seed(seed)
        # dropout draws from torch's global generator, which the Flower actor shares
        # between the users it runs in whatever order their messages come: seed it per
        # user and round so that a run repeats exactly
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            res = local_round(
                codec,
                gate,
                lay.featurizer.encode(lay.user_records[pid]),
                s.make_channel(),
                float(cfg["snr-db"]),  # type: ignore[arg-type]
                epochs=s.local_epochs,
                lr=s.lr,
                batch_size=s.batch_size,
                global_moments=moments,
                align_weight=s.align_weight if s.scenario == "fles" else 0.0,
                share_weight=s.share_weight,
                generator=gen,
                optimizer=kept,
            )
        context.state.array_records[GATE_KEY] = to_record(gate.state_dict())
        if s.keep_optimizer:
            context.state.array_records[OPTIMIZER_KEY] = to_record(res.optimizer)
        content = RecordDict(
            {
                "model": to_record(res.state),
                "gate": ArrayRecord({"g": res.gate}),
                "moments": ArrayRecord({"mean": res.moments.mean, "cov": res.moments.cov}),
                "metrics": MetricRecord(
                    {
                        "partition-id": pid,
                        "num-examples": res.num_examples,
                        "loss": res.loss,
                        "moment-count": res.moments.count,
                    }
                ),
            }
        )
        return Message(content, reply_to=msg)

    return app


def _metric(content: RecordDict, key: str) -> float:
    value = content.metric_records["metrics"][key]
    if not isinstance(value, int | float):
        raise SemcomError(f"a user's reply has no numeric {key!r}")
    return float(value)


def _bits(record: RecordDict) -> int:
    return sum(
        8 * int(sum(a.numpy().nbytes for a in arr.values()))
        for arr in record.array_records.values()
    )


@dataclass
class _Server:
    s: FLeSSettings
    out: Path
    progress: bool
    store_url: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    def run(self, grid: Grid) -> None:
        s, lay = self.s, layout(self.s)
        self.out.mkdir(parents=True, exist_ok=True)
        nodes = self._nodes(grid)
        torch.manual_seed(s.seed)
        template = _model(lay, s)
        init = {k: v.clone() for k, v in template.state_dict().items()}
        clusters = sorted(set(lay.user_cluster))
        states = {c: {k: v.clone() for k, v in init.items()} for c in clusters}
        members = {c: [i for i, x in enumerate(lay.user_cluster) if x == c] for c in clusters}
        wireless = WirelessModel(WirelessSettings(bandwidth_hz=s.bandwidth_hz), len(nodes), s.seed)
        channel = s.make_channel()
        moments: FeatureMoments | None = None
        for t in range(1, s.rounds + 1):
            t0 = time.perf_counter()
            snr = wireless.snr_db(t)
            messages = []
            for pid, node in nodes.items():
                c = lay.user_cluster[pid]
                content = RecordDict(
                    {
                        "model": to_record(states[c]),
                        "config": ConfigRecord(
                            {
                                "round": t,
                                "snr-db": float(snr[pid]),
                                "moment-count": 0 if moments is None else moments.count,
                            }
                        ),
                    }
                )
                if moments is not None and s.scenario == "fles":
                    content["moments"] = ArrayRecord({"mean": moments.mean, "cov": moments.cov})
                messages.append(Message(content, dst_node_id=node, message_type="train"))
            replies = [r for r in grid.send_and_receive(messages) if not r.has_error()]
            # in partition order, so that the averages sum in the same order every run
            replies.sort(key=lambda r: _metric(r.content, "partition-id"))
            by_cluster: dict[str, list[RecordDict]] = {c: [] for c in clusters}
            for reply in replies:
                pid = int(_metric(reply.content, "partition-id"))
                by_cluster[lay.user_cluster[pid]].append(reply.content)
            missing = [c for c in clusters if not by_cluster[c]]
            if missing:
                raise SemcomError(f"round {t}: no user of cluster(s) {missing} answered")
            bits: dict[str, float] = {}
            energy: dict[str, float] = {}
            for c in clusters:
                bits[c] = float(sum(_bits(u) for u in by_cluster[c]))
                energy[c] = sum(
                    wireless.uplink(
                        _bits(u), float(snr[int(_metric(u, "partition-id"))]), len(members[c])
                    ).energy_j
                    for u in by_cluster[c]
                )
            gates: dict[str, torch.Tensor] = {}
            weights: dict[str, float] = {}
            all_moments: list[FeatureMoments] = []
            for c in clusters:
                ups = by_cluster[c]
                n = [_metric(u, "num-examples") for u in ups]
                states[c] = fedavg([from_record(u.array_records["model"]) for u in ups], n)
                g = torch.stack([from_record(u.array_records["gate"])["g"] for u in ups])
                gates[c] = (torch.tensor(n)[:, None] * g).sum(0) / sum(n)
                weights[c] = sum(n)
                for u in ups:
                    m = from_record(u.array_records["moments"])
                    count = int(_metric(u, "moment-count"))
                    all_moments.append(FeatureMoments(m["mean"], m["cov"], count))
            # each cluster's model this round: phase 1's result (for FLeS, fine-tuned from
            # its customised global model); it is what the cluster's receiver serves
            trained = {c: states[c] for c in clusters}
            if s.scenario == "fles" and len(clusters) > 1:
                glob = global_aggregate(
                    template,
                    [states[c] for c in clusters],
                    [gates[c] for c in clusters],
                    [weights[c] for c in clusters],
                )
                # the next round's starting points: the global model, customised
                states = {c: customise(template, glob, states[c], gates[c]) for c in clusters}
                moments = FeatureMoments.pooled(all_moments)
            self._score(t, lay, trained, channel, bits, energy, time.perf_counter() - t0)
        self._finish(lay, trained, channel)

    def _nodes(self, grid: Grid) -> dict[int, int]:
        """partition id -> node id, once all users are up."""
        ids = wait_for_nodes(grid, self.s.num_users, timeout_s=120)
        queries = [
            Message(
                RecordDict({"q": ConfigRecord({"what": "partition-id"})}),
                dst_node_id=n,
                message_type="query",
            )
            for n in ids
        ]
        out = {}
        for r in grid.send_and_receive(queries):
            if r.has_error():
                raise SemcomError(f"a user did not answer the partition query: {r.error}")
            out[int(r.content.metric_records["info"]["partition-id"])] = r.metadata.src_node_id  # type: ignore[arg-type]
        return dict(sorted(out.items()))

    def _score(
        self,
        t: int,
        lay: Layout,
        states: dict[str, dict[str, torch.Tensor]],
        channel: Any,
        bits: dict[str, float],
        energy: dict[str, float],
        seconds: float,
    ) -> None:
        codec = _model(lay, self.s)
        gen = torch.Generator().manual_seed(self.s.seed + 17)
        new = []
        for name in lay.cluster_names:
            state = states.get(name, states.get("all"))
            assert state is not None
            codec.load_state_dict(state)
            batch = lay.featurizer.encode(lay.test_by_cluster[name])
            m = evaluate(codec, batch, channel, self.s.eval_snr_db, gen, self.s.tolerance)
            owner = name if name in states else "all"
            new.append(
                {
                    "round": t,
                    "cluster": name,
                    **{k: m[k] for k in ROUND_COLUMNS[2:7]},
                    "uplink_bits": int(bits[owner]),
                    "energy_j": energy[owner],
                    "seconds": seconds,
                }
            )
        self.rows += new
        path = self.out / "rounds.csv"
        first = not path.exists() or t == 1
        with path.open("w" if first else "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=ROUND_COLUMNS)
            if first:
                w.writeheader()
            w.writerows(new)
        if self.progress:
            err = np.mean([r["error_rate"] for r in new])
            tol = np.mean([r["within_tolerance"] for r in new])
            self._say(
                f"{self.s.scenario} round {t}/{self.s.rounds}  error rate {err:.4f}  "
                f"within tolerance {100 * tol:.1f}%  {seconds:.1f} s"
            )

    def _say(self, line: str) -> None:
        from semcom.train.progress import STDERR  # progress goes to stderr

        STDERR.print(line, highlight=False)

    def _finish(
        self, lay: Layout, states: dict[str, dict[str, torch.Tensor]], channel: Any
    ) -> None:
        s = self.s
        models = self.out / "models"
        models.mkdir(exist_ok=True)
        summary: dict[str, Any] = {"settings": s.to_dict(), "clusters": {}}
        checkpoints: dict[str, str] = {}
        codecs: dict[str, HealthRecordCodec] = {}
        gen = torch.Generator().manual_seed(s.seed + 23)
        for name in lay.cluster_names:
            receiver = name if name in states else "all"
            codec = _model(lay, s)
            codec.load_state_dict(states[receiver])
            codecs[name] = codec
            records = lay.test_by_cluster[name]
            batch = lay.featurizer.encode(records)
            t0 = time.perf_counter()
            m = evaluate(codec, batch, channel, s.eval_snr_db, gen, s.tolerance, TOLERANCE_STUDY)
            compute_s = time.perf_counter() - t0
            study = {f"{t:g}": m.pop(f"within_tolerance@{t:g}") for t in TOLERANCE_STUDY}
            record_bits = 8 * len(records.to_csv_text().encode()) / len(records)
            airtime_s = len(records) * s.symbols / s.bandwidth_hz
            good_bits = m["within_tolerance"] * len(records) * record_bits
            summary["clusters"][name] = {
                **m,
                "within_tolerance_at": study,
                "test_records": len(records),
                "record_bits": record_bits,
                "receiver": receiver,
                "airtime_s": airtime_s,
                "compute_s": compute_s,
                "good_bits": good_bits,
                "own_receiver_throughput_bps": good_bits / (airtime_s + compute_s),
            }
        _receiver_throughput(summary["clusters"])
        content = fit_content_layer(
            codecs,
            train_by_cluster(lay),
            lay.test_by_cluster,
            channel,
            s.eval_snr_db,
            seed=s.seed,
            progress=self._say if self.progress else None,
        )
        for name, m in content.metrics.items():
            summary["clusters"][name]["content"] = m
        for name, codec in codecs.items():
            path = (models / f"{cluster_slug(name)}.pt").resolve()
            sha = save_codec(codec, path, content.models[name])
            checkpoints[name] = f"{path}#sha256={sha}"
        (self.out / "summary.json").write_text(json.dumps(summary, indent=2))
        if self.store_url:
            from semcom.twin.store import TwinStore

            store = TwinStore.create(self.store_url)
            for name in lay.cluster_names:
                store.register_model(
                    name,
                    f"{s.scenario}-customised",
                    checkpoint=checkpoints[name],
                    metrics=summary["clusters"][name],
                )


def _receiver_throughput(clusters: dict[str, dict[str, Any]]) -> None:
    """Each cluster's semantic throughput as its receiver serves it (paper 000, Fig. 5).

    A receiver regenerates the records of every cluster it serves — all three clusters
    for the one-receiver scenarios (single-user, multi-user, centralised), its own
    cluster for each of FLeS's receivers — so a cluster's good bits arrive over the
    airtime + compute of everything its receiver serves: ``semantic_throughput_bps`` =
    ``good_bits / (sum of airtime_s + compute_s over the receiver's clusters)``.
    ``own_receiver_throughput_bps`` is the same cluster given a receiver of its own (the
    accuracy-only comparison). Fills ``receiver_busy_s`` and ``semantic_throughput_bps``
    in place."""
    busy: dict[str, float] = {}
    for m in clusters.values():
        busy[m["receiver"]] = busy.get(m["receiver"], 0.0) + m["airtime_s"] + m["compute_s"]
    for m in clusters.values():
        m["receiver_busy_s"] = busy[m["receiver"]]
        m["semantic_throughput_bps"] = m["good_bits"] / busy[m["receiver"]]


def cluster_figures(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``summary.json``'s clusters with the receiver accounting of
    :func:`_receiver_throughput`, filled in for summaries written before it (whose
    ``semantic_throughput_bps`` gave every cluster a receiver of its own)."""
    clusters: dict[str, dict[str, Any]] = summary["clusters"]
    if all("receiver" in m for m in clusters.values()):
        return clusters
    scenario = summary["settings"]["scenario"]
    out = {}
    for name, m in clusters.items():
        m = dict(m)
        m["receiver"] = name if scenario == "fles" else "all"
        m["good_bits"] = m["within_tolerance"] * m["test_records"] * m["record_bits"]
        m["own_receiver_throughput_bps"] = m["semantic_throughput_bps"]
        out[name] = m
    _receiver_throughput(out)
    return out


def make_fles_server_app(
    s: FLeSSettings, out: Path, progress: bool = True, store_url: str | None = None
) -> ServerApp:
    """The ServerApp of a run of ``s`` writing into ``out``."""
    app = ServerApp()
    server = _Server(s, out, progress, store_url)

    @app.main()
    def _main(grid: Grid, context: Context) -> None:
        server.run(grid)

    return app


def run_fles(
    s: FLeSSettings, out: str | Path, progress: bool = True, store_url: str | None = None
) -> Path:
    """Run ``s`` on Flower's simulation engine; returns ``out`` (rounds.csv,
    summary.json, models/)."""
    from flwr.simulation import run_simulation

    from semcom.federated.run import _quiet_flower

    path = Path(out)
    layout(s)  # bad data fails here, before Ray starts
    _quiet_flower()
    run_simulation(
        server_app=make_fles_server_app(s, path, progress, store_url),
        client_app=make_fles_client_app(s),
        num_supernodes=s.num_users,
        backend_config={
            "client_resources": {"num_cpus": 1, "num_gpus": 0},
            "init_args": {
                "include_dashboard": False,
                "logging_level": logging.ERROR,
                "num_cpus": 1,
                "log_to_driver": False,
            },
        },
    )
    if not (path / "summary.json").exists():
        raise SemcomError(f"the FLeS run in {str(path)!r} did not finish; see rounds.csv")
    return path
