"""``semcom reproduce``: run a paper's figure or table recipe; CSV + PNG into --out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from semcom.errors import SemcomError
from semcom.train.progress import STDERR


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        channel, sep, spec = item.partition("=")
        if not sep or not channel or not spec:
            raise SemcomError(f"{option} takes CHANNEL=CHECKPOINT, got {item!r}")
        out[channel.strip()] = spec.strip()
    return out


def reproduce_command(
    name: Annotated[
        str | None, typer.Argument(help="Recipe name (see --list), e.g. 003-fig4.")
    ] = None,
    list_recipes: Annotated[
        bool, typer.Option("--list", help="Name the recipes and exit.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="Folder for the CSV and PNG (default runs/reproduce/NAME).")
    ] = None,
    scale: Annotated[str, typer.Option(help="cpu (minutes, zoo models) | paper.")] = "cpu",
    data: Annotated[
        str | None,
        typer.Option(
            help="Data spec; default: the shared CIFAR-10 validation split, else patches."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N images.")] = None,
    channel: Annotated[
        str, typer.Option(help="Channels, comma-separated: awgn, rayleigh-block.")
    ] = "awgn,rayleigh-block",
    link: Annotated[
        list[str] | None,
        typer.Option(help="CHANNEL=CHECKPOINT: the GSC link for a channel (default: the zoo's)."),
    ] = None,
    baseline: Annotated[
        list[str] | None,
        typer.Option(help="CHANNEL=CHECKPOINT: the DeepJSCC model for a channel."),
    ] = None,
    lpips_weights: Annotated[
        Path | None, typer.Option("--lpips-weights", help="LPIPS weights (file or folder).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Noise seed.")] = 0,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    progress: Annotated[bool, typer.Option(help="Show progress bars (stderr).")] = True,
) -> int:
    """Reproduce a figure or table of the papers: writes its CSV and PNG into --out."""
    from semcom.experiments.recipe import RECIPES, RecipeOptions, run_recipe

    if list_recipes:
        for n in RECIPES.names():
            typer.echo(f"{n}  {RECIPES.entry(n).summary}")
        return 0
    if name is None:
        raise SemcomError("name a recipe (semcom reproduce --list shows them)")
    RECIPES.entry(name)  # unknown names: one line listing the recipes
    options = RecipeOptions(
        out=out or Path("runs/reproduce") / name,
        scale=scale,
        data=data,
        limit=limit,
        channels=tuple(c.strip() for c in channel.split(",") if c.strip()),
        links=_pairs(link, "--link"),
        baselines=_pairs(baseline, "--baseline"),
        lpips_weights=lpips_weights,
        device=device,
        seed=seed,
        progress=progress,
    )
    files = run_recipe(name, options)
    for f in files:
        typer.echo(str(f))
    STDERR.print(f"{name}: wrote {len(files)} files into {options.out}")
    return 0
