"""``semcom models``: the registered codecs with their size and channel uses."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from semcom.errors import SemcomError


def models_command(
    channels: Annotated[int, typer.Option(help="Image channels C.")] = 3,
    image_size: Annotated[int, typer.Option("--image-size", help="Image side in pixels.")] = 32,
    cbr: Annotated[str, typer.Option(help="Bandwidth ratio.")] = "1/6",
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> int:
    """List registered codecs (parameters, channel uses per image) and refiners."""
    from rich.console import Console
    from rich.table import Table

    from semcom.registry import CODECS

    rows = []
    for name in CODECS.names():
        entry = CODECS.entry(name)
        # A codec with named sizes (vitjscc's size=gsc-m|gsc-l|gsc-h) gets a row per size.
        variants: dict[str, tuple[str, ...]] = getattr(entry.factory, "variants", {})
        options: list[dict[str, str]] = [
            {key: value} for key, values in variants.items() for value in values
        ] or [{}]
        for option in options:
            try:
                model = entry.factory(
                    in_channels=channels, image_size=(image_size, image_size), cbr=cbr, **option
                )
            except SemcomError as e:
                raise SemcomError(f"codec {name!r}: {e}") from None
            rows.append(
                {
                    "codec": " ".join([name, *(f"{k}={v}" for k, v in option.items())]),
                    "parameters": sum(p.numel() for p in model.parameters()),
                    "channel_uses": model.k,
                    "cbr": model.cbr,
                    "summary": entry.summary,
                }
            )
    if json_out:
        typer.echo(json.dumps(rows))
        return 0
    table = Table(
        "codec",
        "parameters",
        "channel uses / image",
        "cbr",
        "summary",
        title=f"codecs for {channels}x{image_size}x{image_size} images at cbr {cbr}",
    )
    for r in rows:
        table.add_row(
            r["codec"],
            f"{r['parameters']:,}",
            str(r["channel_uses"]),
            f"{r['cbr']:.4f}",
            r["summary"],
        )
    Console().print(table)
    Console().print(_refiner_table(channels, image_size))
    return 0


def _refiner_table(channels: int, image_size: int) -> object:
    """The registered refiners with their parameter counts (N1, N1', N2, noise estimator)."""
    from rich.table import Table

    from semcom.refiners import REFINERS, create_refiner

    table = Table(
        "refiner",
        "parameters",
        "T",
        "summary",
        title=f"refiners for {channels}x{image_size}x{image_size} images",
    )
    for name in REFINERS.names():
        r = create_refiner(name, in_channels=channels, image_size=(image_size, image_size))
        n = sum(p.numel() for p in r.parameters())
        table.add_row(name, f"{n:,}", str(r.timesteps), REFINERS.entry(name).summary)
    return table
