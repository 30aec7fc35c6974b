"""The service's Prometheus metrics, on a registry of its own (one per app).

``GET /metrics`` serves :meth:`ServiceMetrics.render` (Prometheus text format 0.0.4).

Example:
    >>> from semcom.serving.metrics import ServiceMetrics
    >>> m = ServiceMetrics()
    >>> m.observe_request("decode", 200, 0.012)
    >>> 'semcom_requests_total{endpoint="decode",status="200"} 1.0' in m.render().decode()
    True
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

#: The ``Content-Type`` of :meth:`ServiceMetrics.render`.
CONTENT_TYPE = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class ServiceMetrics:
    """Counters, gauges and histograms of one service instance."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "semcom_requests", "Requests answered", ["endpoint", "status"], registry=r
        )
        self.errors = Counter(
            "semcom_errors", "Requests answered with an error, by reason", ["endpoint", "reason"],
            registry=r,
        )  # fmt: skip
        self.latency = Histogram(
            "semcom_request_latency_seconds", "Request latency, s", ["endpoint"],
            buckets=_LATENCY_BUCKETS_S, registry=r,
        )  # fmt: skip
        self.batch_size = Histogram(
            "semcom_batch_size", "Images (tiles) per batched forward", ["endpoint"],
            buckets=_BATCH_BUCKETS, registry=r,
        )  # fmt: skip
        self.batch_seconds = Histogram(
            "semcom_batch_seconds", "Seconds per batched forward", ["endpoint"],
            buckets=_LATENCY_BUCKETS_S, registry=r,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "semcom_queue_depth", "Requests waiting for a batch", ["endpoint"], registry=r
        )
        self.cache_hits = Counter("semcom_cache_hits", "Requests answered from the cache",
                                  registry=r)  # fmt: skip
        self.cache_misses = Counter("semcom_cache_misses", "Requests that were computed",
                                    registry=r)  # fmt: skip

    def observe_request(self, endpoint: str, status: int, latency_s: float) -> None:
        """Count one answered request and its latency (s)."""
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(latency_s)

    def batch_hook(self, endpoint: str) -> Callable[[int, int, float], None]:
        """A :data:`~semcom.serving.batcher.BatchHook` recording ``endpoint``'s batches."""

        def hook(images: int, jobs: int, seconds: float) -> None:
            self.batch_size.labels(endpoint).observe(images)
            self.batch_seconds.labels(endpoint).observe(seconds)

        return hook

    def track_depth(self, endpoint: str, depth: Callable[[], int]) -> None:
        """Make ``semcom_queue_depth{endpoint}`` read ``depth()`` at each scrape."""
        self.queue_depth.labels(endpoint).set_function(depth)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
