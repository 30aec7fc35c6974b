"""Node selection (paper 000, "Node Selection"): group users into clusters that train
one task each.

A user is described by a configurable set of features (scikit-learn's ``KMeans`` groups
them, standardised):

- ``activity``: the physical-activity level of the user's record (the paper's *data
  similarity*; one-hot, weighted ``activity_weight`` so that it dominates by default);
- ``snr``: the user's mean uplink SNR in dB;
- ``compute``: the user's compute class (0 low, 1 mid, 2 high; one-hot).

The SNR and compute class are not in the health records: :func:`user_profiles` draws
them (seeded; SNR uniform in ``[0, 25]`` dB, compute class uniform) unless given. A
cluster is named after the activity level most of its users share (``"Sedentary"``,
``"Mild Activity"``, ``"Moderate Activity"``) when ``activity`` is a feature and that
name is free, else ``"cluster-<i>"``.

Example:
    >>> from semcom.data.health import synthesize_health_records
    >>> recs = synthesize_health_records(60, seed=0)
    >>> profiles = user_profiles(recs, seed=0)
    >>> labels = select_nodes(profiles)
    >>> sorted(set(labels))
    ['Mild Activity', 'Moderate Activity', 'Sedentary']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from semcom.data.health import ACTIVITY_COLUMN, ACTIVITY_LEVELS, HealthRecords
from semcom.errors import SemcomError

__all__ = ["FEATURES", "UserProfile", "select_nodes", "user_profiles"]

#: The features :func:`select_nodes` understands.
FEATURES = ("activity", "snr", "compute")
COMPUTE_CLASSES = 3


@dataclass(frozen=True)
class UserProfile:
    """What node selection knows of a user: activity level, mean SNR (dB), compute class."""

    user_id: str
    activity: str
    mean_snr_db: float
    compute_class: int


def user_profiles(
    records: HealthRecords,
    seed: int = 0,
    ids: Sequence[str] | None = None,
    snr_range_db: tuple[float, float] = (0.0, 25.0),
) -> list[UserProfile]:
    """One profile per record: its activity level, and a seeded mean SNR (uniform in
    ``snr_range_db``) and compute class (uniform over 0, 1, 2)."""
    n = len(records)
    names = list(ids) if ids is not None else [f"p{i:05d}" for i in range(n)]
    if len(names) != n:
        raise SemcomError(f"{len(names)} ids for {n} records")
    rng = np.random.default_rng(seed)
    snr = rng.uniform(*snr_range_db, n)
    compute = rng.integers(0, COMPUTE_CLASSES, n)
    acts = records.column(ACTIVITY_COLUMN)
    return [UserProfile(names[i], str(acts[i]), float(snr[i]), int(compute[i])) for i in range(n)]


def _features(
    profiles: Sequence[UserProfile], features: Sequence[str], activity_weight: float
) -> np.ndarray:
    cols: list[np.ndarray] = []
    if "activity" in features:
        onehot = np.array(
            [[p.activity == a for a in ACTIVITY_LEVELS] for p in profiles], dtype=np.float64
        )
        cols.append(activity_weight * onehot)
    if "snr" in features:
        snr = np.array([[p.mean_snr_db] for p in profiles])
        cols.append((snr - snr.mean()) / (snr.std() + 1e-12))
    if "compute" in features:
        cols.append(
            np.array(
                [[p.compute_class == c for c in range(COMPUTE_CLASSES)] for p in profiles],
                dtype=np.float64,
            )
        )
    return np.concatenate(cols, axis=1)


def select_nodes(
    profiles: Sequence[UserProfile],
    features: Sequence[str] = FEATURES,
    n_clusters: int = 3,
    activity_weight: float = 4.0,
    seed: int = 0,
) -> list[str]:
    """The cluster name of every user (module docstring).

    Args:
        profiles: the users.
        features: a non-empty subset of :data:`FEATURES`.
        n_clusters: number of clusters (tasks), 1 <= n <= users.
        activity_weight: scale of the activity one-hot against the standardised others.
        seed: ``KMeans`` seed.

    Returns:
        ``[len(profiles)]`` cluster names.
    """
    from sklearn.cluster import KMeans

    unknown = [f for f in features if f not in FEATURES]
    if unknown or not features:
        raise SemcomError(
            f"node-selection features must be a non-empty subset of {', '.join(FEATURES)}; "
            f"got {', '.join(features) or 'none'}"
        )
    if not 1 <= n_clusters <= len(profiles):
        raise SemcomError(f"{n_clusters} clusters for {len(profiles)} users")
    x = _features(profiles, features, activity_weight)
    labels = KMeans(n_clusters=n_clusters, n_init=10, random_state=seed).fit_predict(x)
    names: dict[int, str] = {}
    for c in sorted(set(labels.tolist()), key=lambda c: -int((labels == c).sum())):
        name = f"cluster-{c}"
        if "activity" in features:
            members = [p.activity for p, lab in zip(profiles, labels, strict=True) if lab == c]
            majority = Counter(members).most_common(1)[0][0]
            if majority not in names.values():
                name = majority
        names[c] = name
    return [names[int(lab)] for lab in labels]
