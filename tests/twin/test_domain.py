"""FLeS's domain gate: moments, pooling, the gate learns what is sharable, gated
aggregation."""

from __future__ import annotations

import pytest
import torch

from semcom.errors import SemcomError
from semcom.twin.domain import (
    DomainGate,
    FeatureMoments,
    gate_loss,
    gated_average,
    moment_distance,
)


def test_pooled_moments_equal_the_moments_of_the_union() -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(30, 5, generator=g), torch.randn(50, 5, generator=g) + 2
    pooled = FeatureMoments.pooled([FeatureMoments.of(a), FeatureMoments.of(b)])
    whole = FeatureMoments.of(torch.cat([a, b]))
    assert pooled.count == 80
    assert torch.allclose(pooled.mean, whole.mean, atol=1e-5)
    assert torch.allclose(pooled.cov, whole.cov, atol=1e-5)


def test_moment_distance_is_zero_on_its_own_moments_and_grows_with_shift() -> None:
    f = torch.randn(200, 3, generator=torch.Generator().manual_seed(1))
    m = FeatureMoments.of(f)
    assert float(moment_distance(f, m)) == pytest.approx(0.0, abs=1e-6)
    assert float(moment_distance(f + 1.0, m)) == pytest.approx(3.0, rel=1e-4)


def test_the_gate_shares_aligned_features_and_keeps_shifted_ones_specific() -> None:
    g = torch.Generator().manual_seed(2)
    glob = torch.randn(4000, 4, generator=g)
    local = torch.randn(4000, 4, generator=g)
    local[:, 2:] = local[:, 2:] * 3 + 4  # features 2, 3 follow another distribution
    gate = DomainGate(4)
    opt = torch.optim.Adam(gate.parameters(), lr=0.05)
    target = FeatureMoments.of(glob)
    for step in range(300):
        batch = local[(step * 64) % 3936 : (step * 64) % 3936 + 64]
        loss = gate_loss(gate, batch, target, share_weight=0.5)
        opt.zero_grad()
        loss.backward()
        opt.step()
    share = gate().detach()
    assert bool((share[:2] > 0.7).all()), share
    assert bool((share[2:] < 0.3).all()), share


def test_gated_average_weights_rows_by_sharability() -> None:
    a, b = torch.zeros(3, 2), torch.ones(3, 2)
    ga, gb = torch.tensor([1.0, 0.5, 0.0]), torch.tensor([1.0, 0.5, 0.0])
    out = gated_average([a, b], [ga, gb], [1.0, 3.0])
    assert torch.allclose(out[:, 0], torch.tensor([0.75, 0.75, 0.75]))  # equal gates: FedAvg
    only_b = gated_average([a, b], [torch.tensor([0.0, 1, 0]), torch.tensor([1.0, 0, 0])], [1, 1])
    assert only_b[0].tolist() == [1.0, 1.0]  # only b shares row 0
    assert only_b[1].tolist() == [0.0, 0.0]  # only a shares row 1
    assert only_b[2].tolist() == [0.5, 0.5]  # nobody shares: plain average
    with pytest.raises(SemcomError):
        gated_average([a], [ga, gb], [1.0])
