"""Single image files: the float -> uint8 conversion Pillow and the service's PNGs use."""

from __future__ import annotations

import numpy as np
import torch

from semcom.data.image_file import image_from_pil, image_to_array


def test_image_to_array_clips_rounds_and_lays_out_channels_last() -> None:
    values = torch.tensor([-0.5, 0.0, 0.5 / 255, 1.5 / 255, 0.2, 1.0, 7.0])
    rgb = values.reshape(1, 1, 7).expand(3, 1, 7)
    got = image_to_array(rgb)
    assert got.dtype == np.uint8
    assert got.shape == (1, 7, 3)
    # clipped to [0, 1]; halves round to even (what torch.round did before)
    want = (rgb.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(got, want)
    assert got[0, :, 0].tolist() == [0, 0, 0, 2, 51, 255, 255]
    grey = image_to_array(torch.full((1, 2, 3), 0.2))
    assert grey.shape == (2, 3)
    assert grey.dtype == np.uint8


def test_pil_round_trip_is_exact_at_8_bits() -> None:
    from PIL import Image

    x = torch.randint(0, 256, (3, 5, 4)).float() / 255
    assert torch.equal(image_from_pil(Image.fromarray(image_to_array(x))), x)
