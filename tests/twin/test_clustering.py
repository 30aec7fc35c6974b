"""Node selection: activity-led clusters by default, configurable features, bad input."""

from __future__ import annotations

from collections import Counter

import pytest

from semcom.data.health import synthesize_health_records
from semcom.errors import SemcomError
from semcom.twin.clustering import select_nodes, user_profiles


def test_default_clusters_follow_activity() -> None:
    profiles = user_profiles(synthesize_health_records(300, seed=2), seed=2)
    labels = select_nodes(profiles)
    purity = []
    for name in set(labels):
        members = Counter(
            p.activity for p, lab in zip(profiles, labels, strict=True) if lab == name
        )
        purity.append(members[name] / sum(members.values()))
    assert len(set(labels)) == 3
    assert min(purity) > 0.95


def test_snr_only_clusters_split_by_snr() -> None:
    profiles = user_profiles(synthesize_health_records(200, seed=0), seed=0)
    labels = select_nodes(profiles, features=["snr"], n_clusters=2)
    assert all(lab.startswith("cluster-") for lab in labels)
    mean = {
        lab: sum(p.mean_snr_db for p, x in zip(profiles, labels, strict=True) if x == lab)
        / labels.count(lab)
        for lab in set(labels)
    }
    lo, hi = sorted(mean.values())
    assert hi - lo > 8  # two SNR groups, far apart


def test_profiles_are_seeded() -> None:
    recs = synthesize_health_records(10, seed=0)
    assert user_profiles(recs, seed=5) == user_profiles(recs, seed=5)
    assert user_profiles(recs, seed=5) != user_profiles(recs, seed=6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"features": ["age"]}, "subset of"),
        ({"features": []}, "subset of"),
        ({"n_clusters": 0}, "clusters"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    profiles = user_profiles(synthesize_health_records(5, seed=0))
    with pytest.raises(SemcomError, match=message):
        select_nodes(profiles, **kwargs)  # type: ignore[arg-type]
