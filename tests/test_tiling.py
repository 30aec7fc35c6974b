from __future__ import annotations

import pytest
import torch

from semcom.tiling import tile_image, untile


@pytest.mark.parametrize(
    ("channels", "size", "tile"),
    [
        (3, (32, 32), (32, 32)),
        (3, (50, 70), (32, 32)),
        (1, (300, 451), (28, 28)),
        (3, (5, 9), (32, 32)),
    ],
)
def test_tile_untile_round_trip(
    channels: int, size: tuple[int, int], tile: tuple[int, int]
) -> None:
    img = torch.rand(channels, *size)
    tiles, grid = tile_image(img, tile)
    rows, cols = grid
    assert tiles.shape == (rows * cols, channels, *tile)
    assert rows * tile[0] >= size[0] > (rows - 1) * tile[0]
    assert torch.equal(untile(tiles, grid, size), img)


def test_tiles_are_in_row_major_order() -> None:
    img = torch.arange(4 * 6, dtype=torch.float32).reshape(1, 4, 6)
    tiles, grid = tile_image(img, (2, 3))
    assert grid == (2, 2)
    assert torch.equal(tiles[1, 0], img[0, 0:2, 3:6])
    assert torch.equal(tiles[2, 0], img[0, 2:4, 0:3])
