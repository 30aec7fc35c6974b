"""What travels: ArrayRecords, their measured size, and the checks on uploads."""

from __future__ import annotations

import torch

from semcom.federated.payload import check_update, from_record, record_bits, to_record
from semcom.registry import create_codec


def test_round_trip_and_size_of_a_codec() -> None:
    codec = create_codec("deepjscc", in_channels=3, image_size=(32, 32), cbr=1 / 6, width=8)
    state = codec.state_dict()
    back = from_record(to_record(state))
    assert all(torch.equal(back[k], v) for k, v in state.items())
    payload = sum(v.numel() * v.element_size() for v in state.values())
    bits = record_bits(to_record(state))
    assert 8 * payload < bits < 8 * payload + 8 * 300 * len(state)  # npy headers, keys


def test_bad_uploads_are_named() -> None:
    ref = {"w": torch.zeros(2, 2), "b": torch.zeros(2)}
    assert check_update(to_record(ref), ref) is None
    nan = {"w": torch.full((2, 2), float("nan")), "b": torch.zeros(2)}
    assert "NaN" in str(check_update(to_record(nan), ref))
    assert "missing" in str(check_update(to_record({"w": torch.zeros(2, 2)}), ref))
    extra = {**ref, "c": torch.zeros(1)}
    assert "unexpected" in str(check_update(to_record(extra), ref))
    shape = {"w": torch.zeros(4), "b": torch.zeros(2)}
    assert "shape (4,)" in str(check_update(to_record(shape), ref))
