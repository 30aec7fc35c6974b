"""``semcom fl run --scale``: presets layered over an ``fl.toml``.

``cpu`` (the default) runs the file as written: its examples use narrow models and few
rounds that fit a 2-core machine. ``paper`` sets the keys below to paper 001's Sec. V
set-up and keeps every other key of the file (data, rounds, strategy, ...):

- ``fl.clients = 9`` (nine mobile users),
- ``model.codec = "vitjscc"``, ``model.codec_options = {size = "gsc-m"}`` (the contenders'
  shared GSC-M; our 32x32 scaling of the paper's sizes, see ``semcom models``),
- ``model.channel = "awgn"``,
- ``wireless.snr_db = [0, 25]``, ``wireless.power_w = 0.1``.

Example:
    >>> from semcom.federated.config import fl_config_from_dict
    >>> cfg, changed = apply_scale(fl_config_from_dict({}), "paper")
    >>> cfg.model.codec, changed[0]
    ('vitjscc', 'model.codec: deepjscc -> vitjscc')
"""

from __future__ import annotations

from typing import Any

from semcom.errors import SemcomError
from semcom.federated.config import FLConfig, fl_config_from_dict

__all__ = ["SCALES", "apply_scale"]

#: scale name -> ``{table: {key: value}}`` it sets
SCALES: dict[str, dict[str, dict[str, Any]]] = {
    "cpu": {},
    "paper": {
        "fl": {"clients": 9},
        "model": {"codec": "vitjscc", "codec_options": {"size": "gsc-m"}, "channel": "awgn"},
        "wireless": {"snr_db": [0.0, 25.0], "power_w": 0.1},
    },
}


def apply_scale(cfg: FLConfig, scale: str) -> tuple[FLConfig, list[str]]:
    """``cfg`` with ``scale``'s keys set, and one ``"table.key: old -> new"`` per change.

    Raises:
        SemcomError: unknown scale, or a combination the scaled config refuses.
    """
    if scale not in SCALES:
        raise SemcomError(f"unknown scale {scale!r}; choose one of: {', '.join(SCALES)}")
    tables = cfg.to_dict()
    changed: list[str] = []
    for table, keys in SCALES[scale].items():
        for key, value in keys.items():
            old = tables[table].get(key)
            if old != value:
                changed.append(f"{table}.{key}: {_show(old)} -> {_show(value)}")
                tables[table][key] = value
    return fl_config_from_dict(tables, source=f"fl config at --scale {scale}"), changed


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
