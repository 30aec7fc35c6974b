"""MU-GSC: the asynchronous multi-user decoding service (paper 003, Sec. III-E).

* :mod:`~semcom.serving.payloads` — symbols / CSI / images on the wire (base64, JSON lists, PNG);
* :mod:`~semcom.serving.cache` — LRU cache keyed by a payload hash, with in-flight coalescing;
* :mod:`~semcom.serving.batcher` — the asynchronous micro-batcher (bounded queue, timeouts, drain);
* :mod:`~semcom.serving.engine` — the link's batched forwards (decode, transmit) off the event loop;
* :mod:`~semcom.serving.metrics` — Prometheus counters, gauges and histograms;
* :mod:`~semcom.serving.app` — the FastAPI application (``create_app``);
* :mod:`~semcom.serving.server` — running it with uvicorn (in the foreground or a thread);
* :mod:`~semcom.serving.loadtest` — the httpx load generator.
"""

from semcom.serving.config import ServeConfig

__all__ = ["ServeConfig"]
