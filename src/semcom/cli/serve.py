"""``semcom serve`` (also ``semcom-serve``): the MU-GSC decoding service."""

from __future__ import annotations

from typing import Annotated

import typer

from semcom.train.progress import STDERR


def serve_command(
    checkpoint: Annotated[
        str, typer.Option(help="The link to serve: zoo:NAME or a checkpoint path.")
    ] = "zoo:gsc-cifar10-awgn",
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    channel: Annotated[
        str | None, typer.Option(help="Channel of /v1/transmit; default: the link's own.")
    ] = None,
    device: Annotated[str, typer.Option(help="auto | cpu | cuda")] = "auto",
    refiner_steps: Annotated[
        int | None, typer.Option(help="Reverse diffusion steps (1..T); default T.")
    ] = None,
    max_batch: Annotated[int, typer.Option(help="Most images (tiles) per batch.")] = 32,
    forward_batch: Annotated[
        int, typer.Option(help="Most tiles per forward pass (a batch runs as several).")
    ] = 16,
    max_wait_ms: Annotated[
        float, typer.Option(help="Longest wait for more requests once one is held, ms.")
    ] = 5.0,
    queue_size: Annotated[
        int, typer.Option(help="Most waiting requests per endpoint (then 503).")
    ] = 1024,
    timeout_s: Annotated[float, typer.Option(help="Per-request deadline, s (then 504).")] = 30.0,
    cache_entries: Annotated[int, typer.Option(help="LRU cache size (0: off).")] = 4096,
    max_body_bytes: Annotated[int, typer.Option(help="Largest request body, bytes (then 413).")] = 8
    * 1024
    * 1024,
    max_tiles: Annotated[int, typer.Option(help="Most tiles per request (then 413).")] = 1024,
    api_key: Annotated[
        str | None,
        typer.Option(help="Require this key (X-API-Key); default: $SEMCOM_API_KEY, else none."),
    ] = None,
    threads: Annotated[
        int,
        typer.Option(
            help="torch threads of the model (0: default; one core less with a model process)."
        ),
    ] = 0,
    flat_memory: Annotated[
        bool,
        typer.Option(
            "--flat-memory/--no-flat-memory",
            help="Pad forwards to powers of two and keep glibc's heap resident (default): a "
            "flat RSS at full speed; --no-flat-memory: glibc's defaults, an RSS that grows "
            "(docs/serving.md).",
        ),
    ] = True,
    model_process: Annotated[
        bool,
        typer.Option(
            "--model-process/--in-process",
            help="Run the model in a process of its own (default; the event loop and the "
            "model do not share an interpreter lock) or in the service's process.",
        ),
    ] = True,
    model_processes: Annotated[
        int,
        typer.Option(
            help="Model processes sharing the batches (each batch to the least busy); on a "
            "CPU a second process uses a second core better than a second torch thread "
            "(docs/serving.md).",
        ),
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> int:
    """Serve a GSC link over HTTP: POST /v1/decode, /v1/transmit; GET /healthz, /metrics, /docs."""
    from semcom.serving.config import ServeConfig
    from semcom.serving.memory import pin_malloc_thresholds
    from semcom.serving.server import build_app, check_port, serve

    config = ServeConfig(
        checkpoint=checkpoint, channel=channel, device=device, refiner_steps=refiner_steps,
        max_batch=max_batch, forward_batch=forward_batch, max_wait_ms=max_wait_ms,
        queue_size=queue_size,
        timeout_s=timeout_s, cache_entries=cache_entries, max_body_bytes=max_body_bytes,
        max_tiles=max_tiles, api_key=api_key or ServeConfig.api_key_from_env(), threads=threads,
        flat_memory=flat_memory, model_process=model_process, model_processes=model_processes,
    )  # fmt: skip
    check_port(host, port)  # before the model loads
    if flat_memory and not pin_malloc_thresholds():
        STDERR.print("[bold yellow]warning:[/] --flat-memory needs glibc; ignored")
    app = build_app(config)
    auth = "API key required" if config.api_key else "no API key (anyone on the network may call)"
    STDERR.print(
        f"serving {checkpoint} on http://{host}:{port} ({auth}); docs at /docs, "
        f"metrics at /metrics; Ctrl-C drains and stops",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    serve(app, host, port, log_level)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The ``semcom-serve`` console script (the ``serve`` subcommand on its own)."""
    from semcom.cli.app import run_single

    return run_single(serve_command, "semcom-serve", argv)


if __name__ == "__main__":
    import sys

    sys.exit(main())
