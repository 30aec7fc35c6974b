"""The service's settings (``semcom serve`` options), validated once.

Example:
    >>> from semcom.serving.config import ServeConfig
    >>> ServeConfig(max_batch=0)
    Traceback (most recent call last):
    ...
    semcom.errors.SemcomError: max_batch must be >= 1, got 0
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from semcom.errors import SemcomError

#: Environment variable read for the API key when ``--api-key`` is not given.
API_KEY_ENV = "SEMCOM_API_KEY"
#: SNRs (dB) a request may carry; outside is a 422 naming ``snr_db``.
SNR_RANGE_DB = (-20.0, 50.0)


@dataclass(frozen=True)
class ServeConfig:
    """How the service batches, caches and protects itself.

    Attributes:
        checkpoint: the link (``zoo:NAME`` or a checkpoint path) to serve.
        channel: channel of ``/v1/transmit`` (default: the one the link was trained on).
        device: ``auto``, ``cpu`` or ``cuda[:N]``.
        refiner_steps: reverse diffusion steps (1..T; default T).
        max_batch: most images (tiles) the batcher gathers into one batch.
        forward_batch: most tiles per forward pass; a larger batch runs as several.
        max_wait_ms: how long the batcher waits for more requests once it holds one, ms.
        queue_size: most requests waiting per endpoint; beyond, 503 with ``Retry-After``.
        timeout_s: per-request deadline, s (504 after it).
        cache_entries: LRU cache size in results (0: no cache).
        max_body_bytes: largest request body, bytes (413 beyond).
        max_tiles: most codec-sized tiles in one request (a larger image is a 413).
        api_key: required in ``X-API-Key`` (or ``Authorization: Bearer``) when set.
        threads: torch intra-op threads of the model (0: torch's default, less one core
            for the event loop when the model has a process of its own).
        model_process: run the model in a process of its own (no interpreter lock shared
            with the event loop; :mod:`semcom.serving.process_engine`).
        model_processes: how many model processes share the batches (each batch to the
            least busy; :mod:`semcom.serving.engine_pool`); needs ``model_process``.
        flat_memory: pad each forward to a power of two so the heap sees few block sizes
            (``semcom serve`` also pins glibc's thresholds: :mod:`semcom.serving.memory`).
    """

    checkpoint: str = "zoo:gsc-cifar10-awgn"
    channel: str | None = None
    device: str = "auto"
    refiner_steps: int | None = None
    max_batch: int = 32
    forward_batch: int = 16
    max_wait_ms: float = 5.0
    queue_size: int = 1024
    timeout_s: float = 30.0
    cache_entries: int = 4096
    max_body_bytes: int = 8 * 1024 * 1024
    max_tiles: int = 1024
    api_key: str | None = None
    threads: int = 0
    model_process: bool = True
    model_processes: int = 1
    flat_memory: bool = True

    def __post_init__(self) -> None:
        for name in ("max_batch", "forward_batch", "queue_size", "max_body_bytes", "max_tiles",
                     "model_processes"):  # fmt: skip
            if getattr(self, name) < 1:
                raise SemcomError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("cache_entries", "threads"):
            if getattr(self, name) < 0:
                raise SemcomError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not self.max_wait_ms >= 0:
            raise SemcomError(f"max_wait_ms must be >= 0, got {self.max_wait_ms}")
        if not self.timeout_s > 0:
            raise SemcomError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.model_processes > 1 and not self.model_process:
            raise SemcomError(
                f"{self.model_processes} model processes need the model out of the service's "
                "process; drop --in-process or use --model-processes 1"
            )
        if self.api_key is not None and not self.api_key.strip():
            raise SemcomError("api_key is empty; give a key or leave it out")

    @staticmethod
    def api_key_from_env() -> str | None:
        """The key in ``$SEMCOM_API_KEY`` (``None`` when unset or empty)."""
        return os.environ.get(API_KEY_ENV) or None
