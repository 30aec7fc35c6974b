"""The ``semcom`` command: a Typer app whose subcommands live one per module.

:func:`main` is the console-script entry point; it turns every user error into one
line on stderr and exit status 2 (never a traceback).

Example:
    >>> from semcom.cli.app import main
    >>> main(["models", "--cbr", "7"])  # prints "error: cbr must be in (0, 1] ..." on stderr
    2
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

import typer
from rich.markup import escape

from semcom.cli import (
    demo,
    fl,
    loadtest,
    models,
    qoe,
    refiner_profile,
    reproduce,
    serve,
    sweep,
    train,
    train_classifier,
    train_refiner,
    transmit,
    twin,
    zoo,
)
from semcom.errors import SemcomError
from semcom.train.progress import STDERR

app = typer.Typer(
    name="semcom",
    help="Generative semantic communication, trained with federated learning, "
    "for human digital twins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("train")(train.train_command)
app.command("train-classifier")(train_classifier.train_classifier_command)
app.command("train-refiner")(train_refiner.train_refiner_command)
app.command("sweep")(sweep.sweep_command)
app.command("refiner-profile")(refiner_profile.refiner_profile_command)
app.command("demo")(demo.demo_command)
app.command("models")(models.models_command)
app.command("transmit")(transmit.transmit_command)
app.command("reproduce")(reproduce.reproduce_command)
app.command("serve")(serve.serve_command)
app.command("loadtest")(loadtest.loadtest_command)
app.add_typer(zoo.zoo_app, name="zoo")
app.add_typer(fl.fl_app, name="fl")
app.add_typer(twin.twin_app, name="twin")
app.add_typer(qoe.qoe_app, name="qoe")


def _click_exception() -> type[Exception] | None:
    try:
        from click.exceptions import ClickException
    except ImportError:  # a Typer that no longer builds on click
        return None
    return ClickException


def _error(message: str) -> int:
    STDERR.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return 2


def _warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    """Show a warning as one line on stderr (no file name, no source line)."""
    STDERR.print(
        f"[bold yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True
    )


# Typer < 0.21 (the series Flower 1.41 pins) raises click's exceptions; later ones their own.
_USAGE_ERRORS: tuple[type[Exception], ...] = tuple(
    cls
    for cls in (getattr(typer, "TyperException", None), _click_exception())
    if isinstance(cls, type)
)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    return _run(app, "semcom", argv)


def run_single(command: Callable[..., Any], prog_name: str, argv: list[str] | None) -> int:
    """Run one subcommand as a console script of its own (``semcom-serve``, ...), with the
    same one-line errors as :func:`main`."""
    single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    single.command()(command)
    return _run(single, prog_name, argv)


def _run(typer_app: typer.Typer, prog_name: str, argv: list[str] | None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning
            result = typer_app(args=args, prog_name=prog_name, standalone_mode=False)
    except SemcomError as e:
        return _error(str(e))
    except typer.Exit as e:
        return int(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        STDERR.print("interrupted")
        return 130
    except _USAGE_ERRORS as e:  # usage errors: bad option, missing value, ...
        ctx = getattr(e, "ctx", None)
        if type(e).__name__ == "NoArgsIsHelpError":  # Typer has printed the help
            return 0
        hint = f" (see 'semcom {ctx.info_name} --help')" if ctx is not None and ctx.parent else ""
        format_message = getattr(e, "format_message", None)
        _error((str(format_message()) if callable(format_message) else str(e)) + hint)
        return int(getattr(e, "exit_code", 2)) or 2
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
