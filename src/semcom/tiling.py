"""Cutting an image of any size into a codec's tiles and stitching them back.

The paper's "task parallelism": the tiles of one image travel as one batch.

Example:
    >>> import torch
    >>> from semcom.tiling import tile_image, untile
    >>> img = torch.rand(3, 50, 70)
    >>> tiles, grid = tile_image(img, (32, 32))
    >>> tiles.shape, grid
    (torch.Size([6, 3, 32, 32]), (2, 3))
    >>> torch.equal(untile(tiles, grid, (50, 70)), img)
    True
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def tile_image(
    image: torch.Tensor, tile_hw: tuple[int, int]
) -> tuple[torch.Tensor, tuple[int, int]]:
    """Cut ``image: [C, H, W] float32`` into tiles ``[N, C, th, tw]`` on a ``(rows, cols)`` grid.

    The image is reflect-padded at the bottom and right (replicate-padded where it is too
    small to reflect) to whole tiles; :func:`untile` crops the padding away again.
    """
    c, h, w = image.shape
    th, tw = tile_hw
    rows, cols = math.ceil(h / th), math.ceil(w / tw)
    ph, pw = rows * th - h, cols * tw - w
    x = image.unsqueeze(0)
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    tiles = x.unfold(2, th, th).unfold(3, tw, tw)  # [1, C, rows, cols, th, tw]
    tiles = tiles.permute(0, 2, 3, 1, 4, 5).reshape(rows * cols, c, th, tw)
    return tiles.contiguous(), (rows, cols)


def untile(tiles: torch.Tensor, grid: tuple[int, int], size_hw: tuple[int, int]) -> torch.Tensor:
    """Stitch ``tiles: [rows*cols, C, th, tw]`` back into ``[C, H, W]`` (``size_hw`` = (H, W))."""
    rows, cols = grid
    _, c, th, tw = tiles.shape
    x = tiles.reshape(rows, cols, c, th, tw).permute(2, 0, 3, 1, 4)
    return x.reshape(c, rows * th, cols * tw)[:, : size_hw[0], : size_hw[1]]
