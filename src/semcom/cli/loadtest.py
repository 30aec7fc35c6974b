"""``semcom loadtest`` (also ``semcom-loadtest``): concurrent users against a service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from semcom.train.progress import STDERR


def loadtest_command(
    url: Annotated[str, typer.Option(help="The service's base URL.")] = "http://127.0.0.1:8000",
    users: Annotated[int, typer.Option(help="Concurrent simulated users.")] = 32,
    requests: Annotated[int, typer.Option(help="Requests in all.")] = 2000,
    rate: Annotated[
        float | None,
        typer.Option(help="Open loop: requests/s in total (default: closed loop)."),
    ] = None,
    endpoint: Annotated[str, typer.Option(help="decode | transmit")] = "decode",
    api_key: Annotated[
        str | None, typer.Option(help="Sent as X-API-Key; default: $SEMCOM_API_KEY.")
    ] = None,
    timeout_s: Annotated[float, typer.Option(help="Client timeout per request, s.")] = 60.0,
    seed: Annotated[
        int | None, typer.Option(help="Seed of the payloads (default: fresh, never cached).")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Write one row per request here.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON instead of a table.")
    ] = False,
) -> int:
    """Throughput, p50 / p95 / p99 latency and errors by status of a running service."""
    from semcom.serving.config import ServeConfig
    from semcom.serving.loadtest import LoadTestConfig, run_loadtest

    cfg = LoadTestConfig(
        url=url.rstrip("/"), users=users, requests=requests, rate=rate, endpoint=endpoint,
        api_key=api_key or ServeConfig.api_key_from_env(), timeout_s=timeout_s, seed=seed,
    )  # fmt: skip
    result = run_loadtest(cfg, progress=not as_json)
    summary = result.summary()
    if csv is not None:
        result.write_csv(csv)
        summary["csv"] = str(csv)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        table = Table(title=f"loadtest {url} /v1/{endpoint}")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for key, value in summary.items():
            table.add_row(key, str(value))
        Console().print(table)
    if summary["ok"] == 0:
        STDERR.print(f"[bold red]error:[/] no request succeeded: {summary['errors']}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``semcom-loadtest`` console script (the ``loadtest`` subcommand on its own)."""
    from semcom.cli.app import run_single

    return run_single(loadtest_command, "semcom-loadtest", argv)
