from __future__ import annotations

import pytest

from semcom.errors import SemcomError
from semcom.parsing import parse_cbr, parse_snr_list, parse_snr_range


def test_snr_lists() -> None:
    assert parse_snr_list("0,5,10") == [0.0, 5.0, 10.0]
    assert parse_snr_list("3") == [3.0]
    assert parse_snr_list("0:20:5") == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert parse_snr_list("-5:0:2.5") == [-5.0, -2.5, 0.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty SNR list"),
        ("0,x", "not a number"),
        ("0:20", "start:stop:step"),
        ("0:20:0", "step > 0"),
        ("nan", "not finite"),
    ],
)
def test_bad_snr_lists(text: str, message: str) -> None:
    with pytest.raises(SemcomError, match=message):
        parse_snr_list(text)


def test_snr_ranges() -> None:
    assert parse_snr_range("0:20") == (0.0, 20.0)
    assert parse_snr_range("7") == (7.0, 7.0)
    with pytest.raises(SemcomError, match="high < low"):
        parse_snr_range("20:0")
    with pytest.raises(SemcomError, match="low:high"):
        parse_snr_range("0:1:2")


def test_cbr() -> None:
    assert parse_cbr("1/6") == pytest.approx(1 / 6)
    assert parse_cbr("0.25") == 0.25
    assert parse_cbr(0.5) == 0.5
    for bad in ["0", "-1/6", "3/2", "x"]:
        with pytest.raises(SemcomError):
            parse_cbr(bad)


def test_parse_options_types_and_errors() -> None:
    from semcom.parsing import parse_options

    assert parse_options(["width=64", "lr=1e-3", "norm=group", "bias=true"]) == {
        "width": 64,
        "lr": 1e-3,
        "norm": "group",
        "bias": True,
    }
    assert parse_options(["blocks=[2,2,3,3]", "heads=1,2", "w=[0.5]"]) == {
        "blocks": [2, 2, 3, 3],
        "heads": [1, 2],
        "w": [0.5],
    }
    for bad, needle in [
        (["width"], "KEY=VALUE"),
        (["=3"], "KEY=VALUE"),
        (["a=1", "a=2"], "twice"),
        (["blocks=[2,x]"], "cannot parse list"),
        (["blocks=[true]"], "cannot parse list"),
    ]:
        with pytest.raises(SemcomError, match=needle):
            parse_options(bad)
