"""Services for the serving tests: real uvicorn servers on free ports, small zoo links."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import semcom
from semcom.link import SemanticLink
from semcom.serving import ServeConfig
from semcom.serving.app import create_app
from semcom.serving.engine import LinkEngine
from semcom.serving.server import ServiceThread


class SlowEngine(LinkEngine):
    """A real engine whose decodes take at least ``delay_s`` (to fill queues on purpose),
    and which fails every batch holding a job at ``fail_snr_db``."""

    def __init__(self, link: SemanticLink, delay_s: float, fail_snr_db: float = -19.5) -> None:
        super().__init__(link, max_batch=32)
        self.delay_s, self.fail_snr_db = delay_s, fail_snr_db

    def decode_batch(self, jobs: list[Any]) -> list[Any]:
        time.sleep(self.delay_s)
        if any(j.snr_db == self.fail_snr_db for j in jobs):
            raise RuntimeError("injected failure")
        return super().decode_batch(jobs)


@pytest.fixture(scope="session")
def fast_link() -> SemanticLink:
    """The smallest zoo link (DeepJSCC, no refiner): deterministic decodes."""
    return semcom.load("zoo:deepjscc-cifar10-awgn")


@pytest.fixture(scope="session")
def gsc_link() -> SemanticLink:
    """The GSC zoo link (Swin-JSCC + SFT refiner)."""
    return semcom.load("zoo:gsc-cifar10-awgn")


def serve_engine(engine: LinkEngine, **settings: Any) -> ServiceThread:
    """A not-yet-started service of ``engine`` with ``settings`` (ServeConfig fields)."""
    return ServiceThread(create_app(engine, ServeConfig(**settings)))


@pytest.fixture(scope="module")
def service(fast_link: SemanticLink) -> Iterator[httpx.Client]:
    """A running service of the fast link with small limits, and a client for it."""
    thread = serve_engine(LinkEngine(fast_link), max_body_bytes=200_000, max_tiles=16)
    with thread as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client
