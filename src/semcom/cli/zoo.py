"""``semcom zoo list`` / ``semcom zoo show NAME``: the pretrained models and their cards."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer

zoo_app = typer.Typer(
    help="Pretrained models shipped with semcom (use them as zoo:NAME).", no_args_is_help=True
)


@zoo_app.command("list")
def zoo_list(
    json_out: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> int:
    """List the zoo's models with their channel and PSNR at 10 dB."""
    from rich.console import Console
    from rich.table import Table

    from semcom.zoo import CARDS
    from semcom.zoo.cards import CLASSIFIER_CARDS

    if json_out:
        listed = [(c.name, c.summary) for c in CARDS]
        listed += [(k.name, k.summary) for k in CLASSIFIER_CARDS]
        typer.echo(json.dumps([{"name": n, "summary": s} for n, s in listed]))
        return 0
    table = Table(title="semcom zoo (use as zoo:NAME; details: semcom zoo show NAME)")
    table.add_column("name", no_wrap=True)
    for column in ("channel", "cbr", "PSNR at 10 dB (own channel)"):
        table.add_column(column)
    for c in CARDS:
        table.add_row(c.name, c.channel, f"{c.cbr:.4f}", f"{c.psnr_at(c.channel, 10.0):.2f} dB")
    Console().print(table)
    if CLASSIFIER_CARDS:
        classifiers = Table(
            title="classifiers (accuracy on reconstructions: --classifier zoo:NAME)"
        )
        classifiers.add_column("name", no_wrap=True)
        classifiers.add_column("data")
        classifiers.add_column("accuracy (clean images)")
        for k in CLASSIFIER_CARDS:
            classifiers.add_row(k.name, k.data, f"{k.accuracy:.2%} of {k.eval_images}")
        Console().print(classifiers)
    return 0


@zoo_app.command("show")
def zoo_show(
    name: Annotated[str, typer.Argument(help="Model name, with or without zoo:.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the card as JSON.")] = False,
) -> int:
    """Show a model's card: data, recipe, hardware, wall time and PSNR table."""
    from rich.console import Console
    from rich.table import Table

    from semcom.zoo import get_card, verified_weights
    from semcom.zoo.store import classifier_names

    if name.removeprefix("zoo:") in classifier_names():
        return _show_classifier(name, json_out)
    card = get_card(name)
    path = verified_weights(card.name)
    if json_out:
        d = dataclasses.asdict(card)
        d["path"] = str(path)
        typer.echo(json.dumps(d))
        return 0
    con = Console()
    con.print(f"[bold]zoo:{card.name}[/] — {card.summary}", highlight=False)
    link = [("refiner", f"{card.refiner} after zoo:{card.codec_model}")] if card.refiner else []
    for label, value in [
        ("codec", card.codec),
        *link,
        ("channel", card.channel),
        ("cbr", f"{card.cbr:.4f}"),
        ("training SNR", f"{card.snr_db[0]:g}-{card.snr_db[1]:g} dB"),
        ("data", card.data),
        ("epochs", str(card.epochs)),
        ("wall time", f"{card.train_wall_time_s:.0f} s"),
        ("hardware", card.hardware),
        ("weights", f"{path} (sha256 {card.sha256[:16]}... ok)"),
        ("recipe", card.recipe),
    ]:
        con.print(f"  {label:13s} {value}", highlight=False, soft_wrap=True)
    table = Table(
        "channel",
        "SNR (dB)",
        "PSNR (dB)",
        "SSIM",
        title=f"measured on {card.eval_data} ({card.eval_images} images)",
    )
    for p in card.psnr_table:
        table.add_row(p.channel, f"{p.snr_db:g}", f"{p.psnr_db:.2f}", f"{p.ssim:.3f}")
    con.print(table)
    if card.notes:
        con.print(f"  note: {card.notes}", highlight=False, soft_wrap=True)
    return 0


def _show_classifier(name: str, json_out: bool) -> int:
    from rich.console import Console

    from semcom.zoo import verified_weights
    from semcom.zoo.store import get_classifier_card

    card = get_classifier_card(name)
    path = verified_weights(card.name)
    if json_out:
        d = dataclasses.asdict(card)
        d["path"] = str(path)
        typer.echo(json.dumps(d))
        return 0
    con = Console()
    con.print(f"[bold]zoo:{card.name}[/] — {card.summary}", highlight=False)
    for label, value in [
        ("data", card.data),
        ("accuracy", f"{card.accuracy:.2%} on {card.eval_images} images of {card.eval_data}"),
        ("epochs", str(card.epochs)),
        ("wall time", f"{card.train_wall_time_s:.0f} s"),
        ("hardware", card.hardware),
        ("weights", f"{path} (sha256 {card.sha256[:16]}... ok)"),
        ("recipe", card.recipe),
    ]:
        con.print(f"  {label:13s} {value}", highlight=False, soft_wrap=True)
    if card.notes:
        con.print(f"  note: {card.notes}", highlight=False, soft_wrap=True)
    return 0
