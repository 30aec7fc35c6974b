"""Image codecs: what is sent plus what the receiver rebuilds decodes like the full file."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from semcom.digital.image_codecs import IMAGE_CODECS, create_image_codec
from semcom.errors import SemcomError


@pytest.mark.parametrize("name", list(IMAGE_CODECS))
@pytest.mark.parametrize("channels", [1, 3])
def test_payload_plus_rebuilt_headers_decodes_like_the_full_file(
    name: str,
    channels: int,
    photo_crop: Callable[..., np.ndarray],
    codec_decode: Callable[..., np.ndarray],
) -> None:
    codec = create_image_codec(name)
    for seed in range(3):
        image = photo_crop(channels, seed)
        for q in (codec.qualities[0], codec.qualities[len(codec.qualities) // 2]):
            payload = codec.payload(image, q)
            restored = codec.restore(payload, q, image.shape)
            assert restored is not None
            assert np.array_equal(restored, codec_decode(name, image, q))


@pytest.mark.parametrize("name", list(IMAGE_CODECS))
def test_payload_grows_with_quality_and_best_fit_respects_the_budget(
    name: str, photo_crop: Callable[..., np.ndarray]
) -> None:
    codec = create_image_codec(name)
    image = photo_crop(3)
    sizes = [len(codec.payload(image, q)) for q in codec.qualities[::10]]
    assert sizes[0] > sizes[-1]
    budget = (sizes[0] + sizes[-1]) // 2
    q, payload = codec.best_fit(image, budget) or (None, b"")
    assert q is not None
    assert len(payload) <= budget
    assert codec.best_fit(image, codec.smallest(image) - 1) is None


def test_jpeg_counts_only_the_scan(photo_crop: Callable[..., np.ndarray]) -> None:
    codec = create_image_codec("jpeg")
    image = photo_crop(3)
    q = 50
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, "JPEG", quality=q, subsampling=2, optimize=False)
    full = buf.getvalue()
    payload = codec.payload(image, q)
    assert full.endswith(payload + b"\xff\xd9")
    assert len(full) - len(payload) > 500  # the ~600 header bytes are not counted


def test_corrupt_payload_is_none_or_an_image(photo_crop: Callable[..., np.ndarray]) -> None:
    codec = create_image_codec("jpeg")
    image = photo_crop(3)
    payload = bytearray(codec.payload(image, 30))
    payload[len(payload) // 2 :] = b"\xff" * (len(payload) - len(payload) // 2)
    out = codec.restore(bytes(payload), 30, image.shape)
    assert out is None or out.shape == image.shape


def test_unknown_codec_lists_choices() -> None:
    with pytest.raises(SemcomError, match="unknown image codec 'bpg'; choose one of: jpeg"):
        create_image_codec("bpg")
