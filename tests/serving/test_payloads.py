"""Wire formats: symbols, CSI and images, and every way they can be wrong."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from semcom.serving.payloads import (
    PayloadError,
    image_to_png_base64,
    parse_image,
    parse_symbols,
    symbols_to_base64,
)


def test_base64_and_json_list_give_the_same_symbols() -> None:
    rng = np.random.default_rng(0)
    z = (rng.standard_normal(16) + 1j * rng.standard_normal(16)).astype(np.complex64)
    from_b64 = parse_symbols(symbols_to_base64(z), "symbols")
    from_list = parse_symbols([[float(v.real), float(v.imag)] for v in z], "symbols")
    assert from_b64.dtype == np.complex64
    np.testing.assert_array_equal(from_b64, z)
    np.testing.assert_array_equal(from_list, z)


def test_base64_is_little_endian_complex64() -> None:
    raw = np.array([1.5, -2.0], dtype="<f4").tobytes()  # one symbol: 1.5 - 2j
    got = parse_symbols(base64.b64encode(raw).decode(), "symbols")
    assert got.tolist() == [1.5 - 2j]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"\0" * 12).decode(), "12 bytes, not a whole number"),
        ("", "is empty"),
        ([[1.0, 2.0, 3.0]], "list of [re, im] pairs"),
        ([["a", "b"]], "list of [re, im] pairs"),
        ([[float("nan"), 0.0]], "NaN or infinite"),
        (base64.b64encode(np.array([np.inf, 0], "<f4").tobytes()).decode(), "NaN or infinite"),
    ],
)
def test_bad_symbols_name_the_field(value: object, message: str) -> None:
    with pytest.raises(PayloadError, match=message.replace("[", r"\[").replace("]", r"\]")) as e:
        parse_symbols(value, "csi")  # type: ignore[arg-type]
    assert e.value.field == "csi"
    assert e.value.status == 422


def test_png_round_trip_is_within_quantisation() -> None:
    img = torch.rand(3, 20, 30)
    back = parse_image(image_to_png_base64(img), "image", channels=3, max_pixels=10_000)
    assert back.shape == (3, 20, 30)
    assert (back - img).abs().max() <= 0.5 / 255 + 1e-6
    grey = parse_image(image_to_png_base64(torch.rand(1, 8, 8)), "image", 1, 100)
    assert grey.shape == (1, 8, 8)


def test_images_too_large_or_unreadable_are_refused() -> None:
    big = image_to_png_base64(torch.rand(3, 40, 40))
    with pytest.raises(PayloadError, match="at most 1000 pixels") as e:
        parse_image(big, "image", 3, max_pixels=1000)
    assert e.value.status == 413
    junk = base64.b64encode(b"GIF89a not really").decode()
    with pytest.raises(PayloadError, match="not an image") as e:
        parse_image(junk, "image", 3, 10_000)
    assert e.value.status == 422


def test_jpeg_is_accepted_too() -> None:
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, format="JPEG")
    got = parse_image(base64.b64encode(buf.getvalue()).decode(), "image", 3, 100)
    assert got.shape == (3, 8, 8)
