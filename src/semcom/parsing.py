"""Parsing of the small value languages the CLI and configs share.

* SNR: ``"10"`` (one value), ``"0,5,10"`` (a list), ``"0:20"`` (a range: uniform
  sampling when training), ``"0:20:5"`` (start:stop:step, stop included).
* Bandwidth ratio: ``"1/6"`` or ``"0.1667"``.
* Options: ``"KEY=VALUE"`` with VALUE an integer, a number, ``true`` / ``false`` or text.

Example:
    >>> from semcom.parsing import parse_snr_list, parse_snr_range, parse_cbr
    >>> parse_snr_list("0:20:5")
    [0.0, 5.0, 10.0, 15.0, 20.0]
    >>> parse_snr_range("0:20")
    (0.0, 20.0)
    >>> round(parse_cbr("1/6"), 4)
    0.1667
    >>> parse_options(["norm=none", "width=64"])
    {'norm': 'none', 'width': 64}
"""

from __future__ import annotations

import math
from fractions import Fraction

from semcom.errors import SemcomError


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SemcomError(f"cannot parse {what} {text!r}: not a number") from None
    if not math.isfinite(value):
        raise SemcomError(f"cannot parse {what} {text!r}: not finite")
    return value


def parse_snr_list(text: str) -> list[float]:
    """SNR values in dB from ``"a,b,c"``, ``"a"`` or ``"start:stop:step"`` (stop included)."""
    text = text.strip()
    if not text:
        raise SemcomError("empty SNR list; write e.g. 0,5,10 or 0:20:5")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise SemcomError(f"cannot parse SNR list {text!r}; write start:stop:step, e.g. 0:20:5")
        start, stop, step = (_number(p, "SNR list") for p in parts)
        if step <= 0 or stop < start:
            raise SemcomError(f"cannot parse SNR list {text!r}: need step > 0 and stop >= start")
        n = math.floor((stop - start) / step + 1e-9) + 1
        return [round(start + i * step, 10) for i in range(n)]
    return [_number(p.strip(), "SNR list") for p in text.split(",")]


def parse_snr_range(text: str) -> tuple[float, float]:
    """A training SNR range ``(low_db, high_db)`` from ``"0:20"`` or a fixed ``"10"``."""
    text = text.strip()
    parts = text.split(":")
    if len(parts) == 1:
        v = _number(parts[0], "SNR")
        return (v, v)
    if len(parts) != 2:
        raise SemcomError(f"cannot parse SNR range {text!r}; write low:high, e.g. 0:20")
    low, high = (_number(p, "SNR range") for p in parts)
    if high < low:
        raise SemcomError(f"SNR range {text!r} has high < low")
    return (low, high)


def parse_cbr(text: str | float) -> float:
    """A bandwidth ratio in (0, 1] from ``"1/6"``, ``"0.1667"`` or a float."""
    if isinstance(text, float | int):
        value = float(text)
    else:
        try:
            value = float(Fraction(text.strip()))
        except (ValueError, ZeroDivisionError):
            raise SemcomError(f"cannot parse cbr {text!r}; write e.g. 1/6 or 0.1667") from None
    if not 0 < value <= 1:
        raise SemcomError(f"cbr must be in (0, 1], got {text!r}")
    return value


#: A ``KEY=VALUE`` option's value: a scalar, or a list of numbers (``[2,2,3,3]``, ``2,2,3,3``).
OptionValue = int | float | bool | str | list[int | float]


def _option_value(text: str) -> OptionValue:
    body = text.strip()
    if (body.startswith("[") and body.endswith("]")) or "," in body:
        items = [_scalar_value(t) for t in body.strip("[]").split(",") if t.strip()]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
            raise SemcomError(f"cannot parse list {text!r}; write numbers, e.g. [2,2,3,3]")
        return [v for v in items if isinstance(v, int | float)]
    return _scalar_value(text)


def _scalar_value(text: str) -> int | float | bool | str:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip()


def parse_options(items: list[str]) -> dict[str, OptionValue]:
    """``["KEY=VALUE", ...]`` -> a dict; VALUE becomes an int, float, bool or str, or a list
    of numbers when it is bracketed or holds commas (``blocks=[2,2,3,3]``).

    Raises:
        SemcomError: an item without ``=`` or with an empty key, a key given twice, or a
            list with something other than numbers in it.
    """
    out: dict[str, OptionValue] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SemcomError(f"cannot parse option {item!r}; write KEY=VALUE, e.g. width=64")
        if key in out:
            raise SemcomError(f"option {key!r} given twice")
        out[key] = _option_value(value)
    return out
