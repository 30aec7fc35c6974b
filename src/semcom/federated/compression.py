"""Upload codecs of the compressing strategies: what a client sends instead of float32.

Each codec turns one float tensor (a model update, or weights) into a few compact NumPy
arrays — its *payload* — and back (lossy). :func:`encode_state` packs a whole
``state_dict`` into one Flower ``ArrayRecord`` (keys ``"float/<part>"``), so
:func:`~semcom.federated.payload.record_bits` measures exactly what would travel, index
and scale overhead included; :func:`decode_state` restores the tensors. All float tensors
are compressed as one concatenated vector (one array header per payload part, not per
tensor). FTTQ's per-kernel scales have their own pair, :func:`encode_ternary_state`.

- ``sparse_ternary`` (STC, Sattler et al. 2019): the top-k positions (``uint32``, or a
  bitmask when denser), one sign bit each, and the mean kept magnitude (``float32``);
- ``ternary`` (FTTQ, Xu et al. 2020): 2-bit codes in {-1, 0, +1} and the scales ``w_p``,
  ``w_n``;
- ``stochastic`` (FedPAQ, Reisizadeh et al. 2020; QSGD levels): a ``float32`` norm per
  bucket of 512 entries, sign bits and ``ceil(log2(s+1))``-bit levels, unbiased
  (E[decode] = input);
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
    "decode_ternary_state",
    "encode_state",
    "encode_ternary_state",
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
_FLOAT = "float"


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


def stochastic_encode(
    x: torch.Tensor, levels: int, generator: torch.Generator, bucket: int = 512
) -> Payload:
    """QSGD-style unbiased quantiser of FedPAQ: ``levels`` = s levels per sign, one norm
    per ``bucket`` consecutive entries (QSGD's bucketing; E||error||^2 <= min(d/s^2,
    sqrt(d)/s) ||x||^2 for bucket size d).

    Each entry becomes ``norm_b * sign * l / s`` with ``l`` = floor or ceil of
    ``s |x| / norm_b`` drawn so that the expectation is ``x``.

    Args:
        x: any-shape float tensor.
        levels: s >= 1.
        generator: CPU generator of the rounding draws.
        bucket: entries per norm, >= 1.
    """
    if levels < 1:
        raise SemcomError(f"stochastic quantisation needs levels >= 1, got {levels}")
    if bucket < 1:
        raise SemcomError(f"stochastic quantisation needs bucket >= 1, got {bucket}")
    v = _flat(x)
    n = v.size
    pad = (-n) % bucket
    b = np.concatenate([v, np.zeros(pad, np.float32)]).reshape(-1, bucket)
    norms = np.linalg.norm(b, axis=1).astype(np.float32)
    safe = np.where(norms > 0, norms, 1.0)[:, None]
    scaled = (np.abs(b) / safe * levels).reshape(-1)[:n]
    low = np.floor(scaled)
    u = torch.rand(n, generator=generator, dtype=torch.float64).numpy()
    level = np.minimum(low + (u < scaled - low), levels).astype(np.int64)
    bits = max(1, math.ceil(math.log2(levels + 1)))
    return {
        "norm": norms,
        "sign": np.packbits(v < 0),
        "level": _pack(level, bits),
        "s": np.array([levels, bucket], dtype=np.uint32),
    }


def stochastic_decode(p: Mapping[str, np.ndarray], shape: torch.Size) -> torch.Tensor:
    """Inverse of :func:`stochastic_encode`: ``[shape] float32``."""
    n = int(np.prod(shape))
    s, bucket = int(p["s"][0]), int(p["s"][1])
    bits = max(1, math.ceil(math.log2(s + 1)))
    level = _unpack(p["level"], bits, n)
    neg = np.unpackbits(p["sign"])[:n].astype(bool)
    norm = np.repeat(p["norm"].astype(np.float64), bucket)[:n]
    mag = norm * level / s
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
    """All floating-point tensors of ``state``, flattened and concatenated in order, as one
    vector through ``codec`` (keys ``"float/<part>"``: one header per part, not per
    tensor); other tensors (integer buffers) travel as they are under their names."""
    if codec not in CODECS:
        raise SemcomError(f"unknown upload codec {codec!r}; choose one of: {', '.join(CODECS)}")
    encode = CODECS[codec][0]
    floats = [t.detach().reshape(-1).float().cpu() for t in state.values() if t.is_floating_point()]
    arrays: dict[str, np.ndarray] = {
        name: t.detach().cpu().numpy() for name, t in state.items() if not t.is_floating_point()
    }
    if floats:
        for part, a in encode(torch.cat(floats), **options).items():
            arrays[f"{_FLOAT}/{part}"] = a
    return ArrayRecord({k: Array(np.ascontiguousarray(a)) for k, a in arrays.items()})


def decode_state(
    record: ArrayRecord, reference: Mapping[str, torch.Tensor], codec: str
) -> dict[str, torch.Tensor]:
    """Inverse of :func:`encode_state` for tensors laid out like ``reference``."""
    decode = CODECS[codec][1]
    parts: dict[str, np.ndarray] = {}
    plain: dict[str, np.ndarray] = {}
    for key, array in record.items():
        if key.startswith(f"{_FLOAT}/"):
            parts[key.split("/", 1)[1]] = array.numpy()
        else:
            plain[key] = array.numpy()
    n_float = sum(t.numel() for t in reference.values() if t.is_floating_point())
    flat = decode(parts, (n_float,)) if n_float else torch.zeros(0)
    out: dict[str, torch.Tensor] = {}
    start = 0
    for name, ref in reference.items():
        if ref.is_floating_point():
            out[name] = flat[start : start + ref.numel()].reshape(ref.shape).to(ref.dtype)
            start += ref.numel()
        elif name in plain:
            out[name] = torch.from_numpy(plain[name].copy()).to(ref.dtype).reshape(ref.shape)
        else:
            raise SemcomError(f"tensor {name!r} is missing from the upload")
    return out


def encode_ternary_state(
    state: Mapping[str, torch.Tensor],
    threshold: float,
    scales: Mapping[str, tuple[float, float]] | None = None,
) -> ArrayRecord:
    """FTTQ's upload: every kernel (float, two or more dimensions) ternarised with its own
    threshold and scales (``scales[name]``, default fitted), the codes of all kernels in
    one ``"ternary/code"`` array and their ``(w_p, w_n)`` in ``"ternary/scale"``; the other
    float tensors concatenated as ``float32`` in ``"dense/value"``; integer tensors as is."""
    codes: list[np.ndarray] = []
    scale: list[np.ndarray] = []
    dense: list[np.ndarray] = []
    plain: dict[str, np.ndarray] = {}
    for name, t in state.items():
        if t.is_floating_point() and t.dim() >= 2:
            p = ternary_encode(t, threshold, None if scales is None else scales.get(name))
            codes.append(p["code"])
            scale.append(p["scale"])
        elif t.is_floating_point():
            dense.append(_flat(t))
        else:
            plain[name] = t.detach().cpu().numpy()
    arrays = {
        **plain,
        "ternary/code": np.concatenate(codes) if codes else np.zeros(0, np.uint8),
        "ternary/scale": np.concatenate(scale) if scale else np.zeros(0, np.float32),
        "dense/value": np.concatenate(dense) if dense else np.zeros(0, np.float32),
    }
    return ArrayRecord({k: Array(np.ascontiguousarray(a)) for k, a in arrays.items()})


def decode_ternary_state(
    record: ArrayRecord, reference: Mapping[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Inverse of :func:`encode_ternary_state` for tensors laid out like ``reference``."""
    code = record["ternary/code"].numpy()
    scale = record["ternary/scale"].numpy()
    dense = record["dense/value"].numpy()
    out: dict[str, torch.Tensor] = {}
    c_at = s_at = d_at = 0
    for name, ref in reference.items():
        n = ref.numel()
        if ref.is_floating_point() and ref.dim() >= 2:
            nbytes = (2 * n + 7) // 8
            p = {"code": code[c_at : c_at + nbytes], "scale": scale[s_at : s_at + 2]}
            out[name] = ternary_decode(p, ref.shape).to(ref.dtype)
            c_at, s_at = c_at + nbytes, s_at + 2
        elif ref.is_floating_point():
            out[name] = _tensor(dense[d_at : d_at + n], ref.shape).to(ref.dtype)
            d_at += n
        elif name in record:
            out[name] = torch.from_numpy(record[name].numpy().copy()).to(ref.dtype)
        else:
            raise SemcomError(f"tensor {name!r} is missing from the upload")
    if c_at != len(code) or d_at != len(dense):
        raise SemcomError("the ternary upload does not match the model's layout")
    return out
