"""The settings of a FLeS / multi-user / single-user run and who holds which records.

Scenarios (paper 000, Figs. 4-5), all on the same training split (80 % of the records,
seeded) with the same learning rate and epochs:

- ``single``: one transmitter-receiver pair trained on one user's share (a third of the
  training records);
- ``central``: the same pair on all training records (the centralised reference);
- ``multi``: three transmitters (a third each) and one receiver, one model (FedAvg);
- ``fles``: the users grouped into ``clusters`` by node selection, ``users_per_cluster``
  transmitters per cluster and one receiver each, two-phase training
  (:mod:`semcom.twin.fles`).

Every scenario is evaluated per activity cluster on the test records of that cluster
(FLeS with its cluster's customised model, the others with their one model), so the
figures compare like with like.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import numpy as np

from semcom.channels.base import Channel
from semcom.codecs.multimodal import HealthFeaturizer
from semcom.data.health import ACTIVITY_COLUMN, HealthRecords, load_health_records
from semcom.errors import SemcomError
from semcom.registry import create_channel
from semcom.twin.clustering import select_nodes, user_profiles

__all__ = [
    "PREDATED_SETTINGS",
    "SCENARIOS",
    "TOLERANCE_STUDY",
    "FLeSSettings",
    "Layout",
    "layout",
    "train_by_cluster",
]

SCENARIOS = ("single", "central", "multi", "fles")
TOLERANCE_STUDY = (0.1, 0.15, 0.2, 0.25, 0.3)
"""Tolerances at which a run's ``summary.json`` also reports the share of test records
regenerated (``within_tolerance_at``), beside the run's own ``tolerance``."""

PREDATED_SETTINGS = {"keep_optimizer": False}
"""Settings added after runs were saved, with the value those runs behaved as (where
it is not the setting's default): a saved run without ``keep_optimizer`` started a fresh
Adam every round."""


@dataclass(frozen=True)
class FLeSSettings:
    """One run's settings (module docstring for ``scenario``).

    Attributes:
        data: health-record CSV.
        scenario: ``single``, ``central``, ``multi`` or ``fles``.
        rounds: communication rounds (one local epoch each by default: the figures' epochs).
        local_epochs, lr, batch_size: each user's local Adam training.
        keep_optimizer: each user keeps its Adam moments from round to round (in its
            Flower state; default) instead of starting a fresh Adam every round. With
            about 3 batches per user and round, a fresh Adam takes only its first,
            sign-like steps of size ``lr``; keeping the moments brought multi-user's
            error rate after 100 epochs from 0.107 to 0.079 and FLeS's from 0.173 to
            0.147 (docs/benchmarks.md).
        symbols: complex channel symbols ``k`` per record.
        clusters, users_per_cluster: FLeS's tasks and transmitters per task.
        users: transmitters of the ``multi`` scenario (and the shares of ``single``).
        align_weight, share_weight: the domain gate's objective (FLeS only).
        eval_snr_db: SNR of the evaluation link (dB).
        tolerance: per-record semantic error under which a record counts as regenerated.
        bandwidth_hz: symbol rate of one receiver's band, for airtime and the energy model.
        channel: ``awgn`` (default), ``rayleigh-block`` or another registered single-user
            channel, or ``mu-mimo``: a receiver's transmitters (a cluster's users; the
            multi-user scenario's users) reach its ``antennas`` antennas at once and are
            separated by the ``detector`` (``zf`` or ``mmse``; see
            :class:`~semcom.channels.multiuser.MultiUserMIMO`).
        antennas, detector: the ``mu-mimo`` receiver.
        seed: split, partition, initialisation and noise seed.
    """

    data: str = "../shared/data/dementia_patients_health_data.csv"
    scenario: str = "fles"
    rounds: int = 30
    local_epochs: int = 1
    keep_optimizer: bool = True
    lr: float = 3e-3
    batch_size: int = 32
    symbols: int = 16
    clusters: int = 3
    users_per_cluster: int = 3
    users: int = 3
    align_weight: float = 1.0
    share_weight: float = 0.1
    eval_snr_db: float = 10.0
    tolerance: float = 0.15
    bandwidth_hz: float = 1e6
    channel: str = "awgn"
    antennas: int = 4
    detector: str = "mmse"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise SemcomError(
                f"unknown scenario {self.scenario!r}; choose one of: {', '.join(SCENARIOS)}"
            )
        counts = ("rounds", "local_epochs", "batch_size", "symbols", "clusters", "antennas")
        for key in (*counts, "users_per_cluster", "users"):
            if getattr(self, key) < 1:
                raise SemcomError(f"{key} must be >= 1, got {getattr(self, key)}")
        if not self.lr > 0:
            raise SemcomError(f"lr must be positive, got {self.lr}")
        if not 0 < self.tolerance < 1:
            raise SemcomError(f"tolerance must be in (0, 1), got {self.tolerance}")
        self.make_channel()  # an unknown channel or detector fails here

    def make_channel(self) -> Channel:
        """The link of every receiver of this run (``channel`` above)."""
        if self.channel == "mu-mimo":
            users = self.users_per_cluster if self.scenario == "fles" else self.users
            if self.scenario in ("single", "central"):
                users = 1
            mimo: Channel = create_channel(
                "mu-mimo", n_users=users, n_antennas=self.antennas, detector=self.detector
            )
            return mimo
        ch: Channel = create_channel(self.channel)
        return ch

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def num_users(self) -> int:
        """Flower SuperNodes the run needs."""
        if self.scenario == "fles":
            return self.clusters * self.users_per_cluster
        if self.scenario == "multi":
            return self.users
        return 1


@dataclass(frozen=True)
class Layout:
    """Who holds what: the featurizer (fitted on the training split), each user's
    records and cluster, and the test records of every cluster."""

    featurizer: HealthFeaturizer
    user_records: tuple[HealthRecords, ...]
    user_cluster: tuple[str, ...]
    cluster_names: tuple[str, ...]
    test_by_cluster: dict[str, HealthRecords]


def _thirds(records: HealthRecords, parts: int, seed: int) -> list[HealthRecords]:
    order = np.random.default_rng(seed).permutation(len(records))
    return [records.subset(order[i::parts].tolist()) for i in range(parts)]


@cache
def _records(path: str) -> HealthRecords:
    return load_health_records(path)


def layout(s: FLeSSettings) -> Layout:
    """The deterministic data layout of a run (server and clients compute the same)."""
    recs = _records(s.data)
    train, test = recs.split(0.8, seed=s.seed)
    feat = HealthFeaturizer.fit(train)
    profiles = user_profiles(train, seed=s.seed)
    labels = select_nodes(profiles, n_clusters=s.clusters, seed=s.seed)
    names = tuple(sorted(set(labels)))
    # test records go to the cluster of their activity level (the clusters' names)
    test_act = test.column(ACTIVITY_COLUMN)
    test_by = {n: test.subset([i for i, a in enumerate(test_act) if a == n]) for n in names}
    if any(len(t) == 0 for t in test_by.values()):  # clusters not named by activity
        test_by = {n: test for n in names}
    if s.scenario == "fles":
        users, clusters = [], []
        for n in names:
            members = train.subset([i for i, lab in enumerate(labels) if lab == n])
            for part in _thirds(members, s.users_per_cluster, s.seed):
                users.append(part)
                clusters.append(n)
        return Layout(feat, tuple(users), tuple(clusters), names, test_by)
    if s.scenario == "central":
        return Layout(feat, (train,), ("all",), names, test_by)
    parts = _thirds(train, s.users, s.seed)
    if s.scenario == "single":
        return Layout(feat, (parts[0],), ("all",), names, test_by)
    return Layout(feat, tuple(parts), ("all",) * len(parts), names, test_by)


def train_by_cluster(lay: Layout) -> dict[str, HealthRecords]:
    """The training records of every evaluation cluster: a FLeS cluster's users' records;
    for the one-model scenarios, the users' records of that cluster's activity level (all
    of them when the clusters are not named by activity)."""
    if set(lay.user_cluster) == set(lay.cluster_names):
        return {
            n: HealthRecords(
                tuple(
                    row
                    for recs, c in zip(lay.user_records, lay.user_cluster, strict=True)
                    if c == n
                    for row in recs.rows
                )
            )
            for n in lay.cluster_names
        }
    rows = tuple(row for recs in lay.user_records for row in recs.rows)
    by = {n: tuple(r for r in rows if r[ACTIVITY_COLUMN] == n) for n in lay.cluster_names}
    if any(not v for v in by.values()):
        return {n: HealthRecords(rows) for n in lay.cluster_names}
    return {n: HealthRecords(v) for n, v in by.items()}
