"""Upload codecs of the compressing strategies: what a client sends instead of float32.

Each codec turns one float tensor (a model update, or weights) into a few compact NumPy
arrays — its *payload* — and back (lossy). :func:`encode_state` packs a whole
``state_dict`` into one Flower ``ArrayRecord`` (keys ``"<tensor>/<part>"``), so
:func:`~semcom.federated.payload.record_bits` measures exactly what would travel, index
and scale overhead included; :func:`decode_state` restores the tensors.

- ``sparse_ternary`` (STC, Sattler et al. 2019): the top-k positions (``uint32``, or a
  bitmask when denser), one sign bit each, and the mean kept magnitude (``float32``);
- ``ternary`` (FTTQ, Xu et al. 2020): 2-bit codes in {-1, 0, +1} and the scales ``w_p``,
  ``w_n``;
- ``stochastic`` (FedPAQ, Reisizadeh et al. 2020; QSGD levels): a ``float32`` norm, sign
  bits and ``ceil(log2(s+1))``-bit levels, unbiased (E[decode] = input);
- ``sparse`` (AGP-pruned weights of PSFL): the nonzero values (``float32``) and their
  positions (``uint32`` indices or a bitmask, whichever is smaller); lossless.

Example:
    >>> import torch
    >>> x = torch.tensor([0.5, -0.1, 0.0, -2.0, 0.05, 1.0])
    >>> p = sparse_ternary_encode(x, fraction=0.5)
    >>> sparse_ternary_decode(p, x.shape)
    tensor([ 1.1667,  0.0000,  0.0000, -1.1667,  0.0000,  1.1667])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from flwr.app import Array, ArrayRecord

from semcom.errors import SemcomError

__all__ = [
    "CODECS",
    "decode_state",
    "encode_state",
    "sparse_decode",
    "sparse_encode",
    "sparse_ternary_decode",
    "sparse_ternary_encode",
    "stochastic_decode",
    "stochastic_encode",
    "ternary_decode",
    "ternary_encode",
]

Payload = dict[str, np.ndarray]


# --- bit packing ---------------------------------------------------------------------


def _pack(values: np.ndarray, bits: int) -> np.ndarray:
    """Unsigned integers ``< 2**bits`` -> ``uint8`` bytes, ``bits`` bits each."""
    v = values.astype(np.uint32).reshape(-1, 1)
    planes = ((v >> np.arange(bits, dtype=np.uint32)) & 1).astype(np.uint8)
    return np.packbits(planes.reshape(-1))


def _unpack(packed: np.ndarray, bits: int, n: int) -> np.ndarray:
    planes = np.unpackbits(packed)[: n * bits].reshape(n, bits).astype(np.uint32)
    values: np.ndarray = (planes << np.arange(bits, dtype=np.uint32)).sum(axis=1)
    return values.astype(np.int64)


def _positions(mask: np.ndarray) -> Payload:
    """The cheaper of ``uint32`` indices and a packed bitmask for a boolean mask."""
    idx = np.flatnonzero(mask).astype(np.uint32)
    if 4 * len(idx) < (len(mask) + 7) // 8:
        return {"idx": idx}
    return {"mask": np.packbits(mask.astype(np.uint8))}


def _mask_of(p: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    if "idx" in p:
        mask = np.zeros(n, dtype=bool)
        mask[p["idx"].astype(np.int64)] = True
        return mask
    return np.unpackbits(p["mask"])[:n].astype(bool)


def _flat(x: torch.Tensor) -> np.ndarray:
    return x.detach().to(torch.float32).cpu().reshape(-1).numpy()


def _tensor(a: np.ndarray, shape: torch.Size | tuple[int, ...]) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).reshape(shape)


# --- STC -----------------------------------------------------------------------------


def sparse_ternary_encode(x: torch.Tensor, fraction: float) -> Payload:
    """STC: keep the ``ceil(fraction * numel)`` largest magnitudes as ``sign * mu``.

    Args:
        x: any-shape float tensor.
        fraction: kept share of entries, (0, 1].
    """
    if not 0 < fraction <= 1:
        raise SemcomError(f"sparse_ternary fraction must be in (0, 1], got {fraction}")
    v = _flat(x)
    k = max(1, math.ceil(fraction * v.size))
    top = np.argpartition(-np.abs(v), k - 1)[:k]
    mask = np.zeros(v.size, dtype=bool)
    mask[top] = True
    kept = v[mask]  # in position order
    mu = np.float32(np.abs(kept).mean())
    return {**_positions(mask), "sign": np.packbits(kept < 0), "mu": np.array([mu])}


def sparse_ternary_decode(p: Mapping[str, np.ndarray], shape: torch.Size) -> torch.Tensor:
    """Inverse of :func:`sparse_ternary_encode`: ``[shape] float32``."""
    n = int(np.prod(shape))
    mask = _mask_of(p, n)
    neg = np.unpackbits(p["sign"])[: int(mask.sum())].astype(bool)
    out = np.zeros(n, dtype=np.float32)
    out[mask] = np.where(neg, -p["mu"][0], p["mu"][0])
    return _tensor(out, shape)


# --- FTTQ ------------------------------------------------------------------------------


def ternary_encode(
    x: torch.Tensor, threshold: float = 0.05, scales: tuple[float, float] | None = None
) -> Payload:
    """FTTQ / TTQ: codes in {-1, 0, +1} at ``|x| > threshold * max|x|``, 2 bits each.

    Args:
        x: any-shape float tensor.
        threshold: relative threshold Δ / max|x|, [0, 1).
        scales: the learned ``(w_p, w_n)`` (both positive); default the mean magnitude of
            the positive / negative entries kept.
    """
    if not 0 <= threshold < 1:
        raise SemcomError(f"ternary threshold must be in [0, 1), got {threshold}")
    v = _flat(x)
    delta = threshold * float(np.abs(v).max(initial=0.0))
    codes = np.where(v > delta, 1, np.where(v < -delta, 2, 0))  # 2 stands for -1
    if scales is None:
        pos, neg = v[codes == 1], v[codes == 2]
        scales = (float(pos.mean()) if pos.size else 0.0, float(-neg.mean()) if neg.size else 0.0)
    return {"code": _pack(codes, 2), "scale": np.array(scales, dtype=np.float32)}


def ternary_decode(p: Mapping[str, np.ndarray], shape: torch.Size) -> torch.Tensor:
    """Inverse of :func:`ternary_encode`: ``[shape] float32``."""
    n = int(np.prod(shape))
    codes = _unpack(p["code"], 2, n)
    w_p, w_n = (float(s) for s in p["scale"])
    return _tensor(np.where(codes == 1, w_p, np.where(codes == 2, -w_n, 0.0)), shape)


# --- FedPAQ ------------------------------------------------------------------------------


def stochastic_encode(x: torch.Tensor, levels: int, generator: torch.Generator) -> Payload:
    """QSGD-style unbiased quantiser of FedPAQ with ``levels`` = s levels per sign.

    Each entry becomes ``norm * sign * l / s`` with ``l`` = floor or ceil of
    ``s |x| / norm`` drawn so that the expectation is ``x``.

    Args:
        x: any-shape float tensor.
        levels: s >= 1.
        generator: CPU generator of the rounding draws.
    """
    if levels < 1:
        raise SemcomError(f"stochastic quantisation needs levels >= 1, got {levels}")
    v = _flat(x)
    norm = float(np.linalg.norm(v))
    bits = max(1, math.ceil(math.log2(levels + 1)))
    if norm == 0:
        level = np.zeros(v.size, dtype=np.int64)
    else:
        scaled = np.abs(v) / norm * levels
        low = np.floor(scaled)
        u = torch.rand(v.size, generator=generator, dtype=torch.float64).numpy()
        level = (low + (u < scaled - low)).astype(np.int64)
    return {
        "norm": np.array([norm], dtype=np.float32),
        "sign": np.packbits(v < 0),
        "level": _pack(level, bits),
        "s": np.array([levels], dtype=np.uint16),
    }


def stochastic_decode(p: Mapping[str, np.ndarray], shape: torch.Size) -> torch.Tensor:
    """Inverse of :func:`stochastic_encode`: ``[shape] float32``."""
    n = int(np.prod(shape))
    s = int(p["s"][0])
    bits = max(1, math.ceil(math.log2(s + 1)))
    level = _unpack(p["level"], bits, n)
    neg = np.unpackbits(p["sign"])[:n].astype(bool)
    mag = float(p["norm"][0]) * level / s
    return _tensor(np.where(neg, -mag, mag), shape)


# --- pruned weights ------------------------------------------------------------------------


def sparse_encode(x: torch.Tensor) -> Payload:
    """Nonzero entries as ``float32`` values plus their positions (lossless)."""
    v = _flat(x)
    mask = v != 0
    return {**_positions(mask), "value": v[mask]}


def sparse_decode(p: Mapping[str, np.ndarray], shape: torch.Size) -> torch.Tensor:
    """Inverse of :func:`sparse_encode`: ``[shape] float32``."""
    n = int(np.prod(shape))
    out = np.zeros(n, dtype=np.float32)
    out[_mask_of(p, n)] = p["value"]
    return _tensor(out, shape)


#: codec name -> (encode(x, **options), decode(payload, shape))
CODECS: dict[str, tuple[Callable[..., Payload], Callable[..., torch.Tensor]]] = {
    "sparse_ternary": (sparse_ternary_encode, sparse_ternary_decode),
    "ternary": (ternary_encode, ternary_decode),
    "stochastic": (stochastic_encode, stochastic_decode),
    "sparse": (sparse_encode, sparse_decode),
}


def encode_state(state: Mapping[str, torch.Tensor], codec: str, **options: Any) -> ArrayRecord:
    """Every floating-point tensor of ``state`` through ``codec``; other tensors (integer
    buffers) travel as they are. Keys: ``"<name>/<part>"`` (payload) or ``"<name>"``."""
    if codec not in CODECS:
        raise SemcomError(f"unknown upload codec {codec!r}; choose one of: {', '.join(CODECS)}")
    encode = CODECS[codec][0]
    arrays: dict[str, np.ndarray] = {}
    for name, t in state.items():
        if not t.is_floating_point():
            arrays[name] = t.detach().cpu().numpy()
            continue
        for part, a in encode(t, **options).items():
            arrays[f"{name}/{part}"] = a
    return ArrayRecord({k: Array(np.ascontiguousarray(a)) for k, a in arrays.items()})


def decode_state(
    record: ArrayRecord, reference: Mapping[str, torch.Tensor], codec: str
) -> dict[str, torch.Tensor]:
    """Inverse of :func:`encode_state` for tensors laid out like ``reference``."""
    decode = CODECS[codec][1]
    parts: dict[str, dict[str, np.ndarray]] = {}
    plain: dict[str, np.ndarray] = {}
    for key, array in record.items():
        a = array.numpy()
        if "/" in key:
            name, part = key.rsplit("/", 1)
            parts.setdefault(name, {})[part] = a
        else:
            plain[key] = a
    out: dict[str, torch.Tensor] = {}
    for name, ref in reference.items():
        if name in parts:
            out[name] = decode(parts[name], ref.shape).to(ref.dtype)
        elif name in plain:
            out[name] = torch.from_numpy(plain[name].copy()).to(ref.dtype).reshape(ref.shape)
        else:
            raise SemcomError(f"tensor {name!r} is missing from the upload")
    return out
