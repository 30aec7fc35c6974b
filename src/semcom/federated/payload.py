"""What travels between server and clients: model weights as Flower ``ArrayRecord``s.

* :func:`to_record` / :func:`from_record`: a ``state_dict`` to an ``ArrayRecord`` and back;
* :func:`record_bits`: the serialised size of a record in bits, as measured on what
  Flower actually sends (every array's bytes, shape and dtype header included);
* :func:`check_update`: why an uploaded record cannot be aggregated (NaN / Inf values,
  missing or extra tensors, wrong shapes), or ``None`` when it can.

Example:
    >>> import torch
    >>> state = {"w": torch.ones(2, 3), "b": torch.zeros(2)}
    >>> rec = to_record(state)
    >>> record_bits(rec) > 8 * 4 * 8     # 8 float32 values plus headers
    True
    >>> check_update(rec, state) is None
    True
    >>> check_update(to_record({"w": torch.ones(3, 2), "b": torch.zeros(2)}), state)
    "tensor 'w' has shape (3, 2), expected (2, 3)"
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from flwr.app import ArrayRecord


def to_record(state: Mapping[str, torch.Tensor]) -> ArrayRecord:
    """``state_dict`` -> ``ArrayRecord`` (CPU copies, keys kept in order)."""
    return ArrayRecord({k: v.detach().cpu() for k, v in state.items()})


def from_record(record: ArrayRecord) -> dict[str, torch.Tensor]:
    """``ArrayRecord`` -> ``state_dict`` of CPU tensors."""
    return dict(record.to_torch_state_dict())


def record_bits(record: ArrayRecord) -> int:
    """Bits Flower serialises for ``record``: each array's payload plus its shape /
    dtype / key header (the protobuf fields an ``Array`` carries)."""
    total = 0
    for key, array in record.items():
        header = len(key.encode()) + len(array.dtype.encode()) + len(array.stype.encode())
        header += 8 * len(array.shape)
        total += len(array.data) + header
    return 8 * total


def check_update(record: ArrayRecord, reference: Mapping[str, torch.Tensor]) -> str | None:
    """The reason ``record`` cannot be averaged with ``reference``'s layout, or ``None``."""
    try:
        state = from_record(record)
    except Exception as e:
        return f"undecodable weights ({type(e).__name__}: {e})"
    missing = sorted(set(reference) - set(state))
    if missing:
        return f"tensor {missing[0]!r} is missing"
    extra = sorted(set(state) - set(reference))
    if extra:
        return f"unexpected tensor {extra[0]!r}"
    for key, ref in reference.items():
        got = state[key]
        if tuple(got.shape) != tuple(ref.shape):
            return f"tensor {key!r} has shape {tuple(got.shape)}, expected {tuple(ref.shape)}"
        if got.is_floating_point() and not bool(torch.isfinite(got).all()):
            return f"tensor {key!r} has NaN or infinite values"
    return None
