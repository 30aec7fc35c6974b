"""Upload codecs: round trips, the payload sizes the energy model will price, unbiasedness."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from semcom.errors import SemcomError
from semcom.federated.compression import (
    CODECS,
    decode_state,
    decode_ternary_state,
    encode_state,
    encode_ternary_state,
    sparse_ternary_decode,
    sparse_ternary_encode,
    stochastic_decode,
    stochastic_encode,
    ternary_decode,
    ternary_encode,
)
from semcom.federated.payload import record_bits, to_record

OPTIONS: dict[str, dict[str, object]] = {
    "sparse_ternary": {"fraction": 0.01},
    "ternary": {"threshold": 0.05},
    "stochastic": {"levels": 3, "generator": torch.Generator().manual_seed(0)},
    "sparse": {},
}


def _state() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {
        "conv.weight": torch.randn(64, 32, 3, 3, generator=g),
        "conv.bias": torch.randn(64, generator=g),
        "bn.num_batches_tracked": torch.tensor(7),
    }


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_every_codec_round_trips_a_state_and_shrinks_it(codec: str) -> None:
    state = _state()
    if codec == "sparse":  # pruned weights: 90 % zeros
        state = {k: v * (v.abs() > 1.645) if v.is_floating_point() else v for k, v in state.items()}
    record = encode_state(state, codec, **OPTIONS[codec])
    back = decode_state(record, state, codec)
    assert set(back) == set(state)
    for k, v in state.items():
        assert back[k].shape == v.shape
        assert back[k].dtype == v.dtype
    assert int(back["bn.num_batches_tracked"]) == 7
    dense = record_bits(to_record(state))
    assert record_bits(record) < 0.35 * dense, (codec, record_bits(record), dense)


def test_sparse_is_lossless() -> None:
    x = torch.randn(1000) * (torch.rand(1000) < 0.05)
    back = decode_state(encode_state({"w": x}, "sparse"), {"w": x}, "sparse")["w"]
    assert torch.equal(back, x)


def test_sparse_ternary_keeps_the_top_k_signs_at_the_mean_magnitude() -> None:
    x = torch.tensor([0.5, -0.1, 0.0, -2.0, 0.05, 1.0])
    y = sparse_ternary_decode(sparse_ternary_encode(x, fraction=0.5), x.shape)
    mu = (0.5 + 2.0 + 1.0) / 3
    assert torch.allclose(y, torch.tensor([mu, 0, 0, -mu, 0, mu]))
    with pytest.raises(SemcomError, match="fraction"):
        sparse_ternary_encode(x, fraction=0.0)


def test_sparse_ternary_payload_is_indices_plus_sign_bits() -> None:
    x = torch.randn(100_000)
    p = sparse_ternary_encode(x, fraction=0.01)
    assert p["idx"].dtype == np.uint32
    assert len(p["idx"]) == 1000
    assert p["sign"].nbytes == 125  # 1000 sign bits
    dense = sparse_ternary_encode(x, fraction=0.5)
    assert "mask" in dense  # a bitmask is cheaper than 50,000 indices


def test_ternary_codes_two_bits_and_its_scales() -> None:
    x = torch.tensor([1.0, -0.5, 0.01, 0.8, -0.02, -1.5])
    p = ternary_encode(x, threshold=0.1)  # delta = 0.15
    assert p["code"].nbytes == 2  # 6 entries x 2 bits
    y = ternary_decode(p, x.shape)
    assert torch.allclose(y, torch.tensor([0.9, -1.0, 0.0, 0.9, 0.0, -1.0]))
    learned = ternary_decode(ternary_encode(x, 0.1, scales=(2.0, 3.0)), x.shape)
    assert torch.allclose(learned, torch.tensor([2.0, -3.0, 0.0, 2.0, 0.0, -3.0]))


def test_stochastic_quantisation_is_unbiased_and_bounded() -> None:
    x = torch.randn(200)
    g = torch.Generator().manual_seed(0)
    draws = torch.stack(
        [stochastic_decode(stochastic_encode(x, 4, g), x.shape) for _ in range(2000)]
    )
    assert torch.allclose(draws.mean(0), x, atol=0.05 * float(x.norm()) / 4)
    norm = float(x.norm())
    assert float((draws - x).abs().max()) <= norm / 4 + 1e-5  # one level at most
    p = stochastic_encode(x, 4, g)
    assert p["level"].nbytes == 200 * 3 // 8  # levels 0..4: 3 bits each
    zero = stochastic_decode(stochastic_encode(torch.zeros(5), 4, g), (5,))
    assert torch.equal(zero, torch.zeros(5))


def test_unknown_codec_and_missing_tensor_are_refused() -> None:
    with pytest.raises(SemcomError, match="unknown upload codec"):
        encode_state(_state(), "zip")
    record = encode_state({"a": torch.ones(3)}, "sparse")
    with pytest.raises(SemcomError, match="'n' is missing"):
        decode_state(record, {"a": torch.ones(3), "n": torch.tensor(2)}, "sparse")


def test_one_header_per_part_not_per_tensor() -> None:
    state = {f"layer{i}.weight": torch.randn(4, 4) for i in range(20)}
    record = encode_state(state, "stochastic", levels=4, generator=torch.Generator())
    assert sorted(record.keys()) == ["float/level", "float/norm", "float/s", "float/sign"]


def test_fttq_upload_keeps_each_kernels_scales() -> None:
    state = _state()
    learned = {"conv.weight": (0.7, 0.9)}
    record = encode_ternary_state(state, 0.05, learned)
    back = decode_ternary_state(record, state)
    values = back["conv.weight"].unique()
    assert all(min(abs(float(v) - t) for t in (-0.9, 0.0, 0.7)) < 1e-6 for v in values)
    assert torch.equal(back["conv.bias"], state["conv.bias"])  # 1-D: float32 as is
    assert int(back["bn.num_batches_tracked"]) == 7
    assert record_bits(record) < 0.1 * record_bits(to_record(state))
