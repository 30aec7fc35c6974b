"""Running the service in a child process: a start that fails says why."""

from __future__ import annotations

import time

import pytest

from semcom.errors import SemcomError
from semcom.serving.server import ServiceProcess


def test_a_service_process_that_cannot_start_reports_its_error() -> None:
    with (
        pytest.raises(SemcomError, match=r"semcom serve exited at start: .*zoo-nope"),
        ServiceProcess(["--checkpoint", "zoo:zoo-nope"], start_timeout_s=120),
    ):
        pass


def test_a_service_process_counts_its_model_process_and_stops_it() -> None:
    from pathlib import Path

    import httpx

    from semcom.serving.server import _process_tree, _rss

    service = ServiceProcess(["--checkpoint", "zoo:deepjscc-cifar10-awgn", "--device", "cpu"])
    with service as url:
        assert httpx.get(f"{url}/v1/info").json()["model_process"] is True
        assert service.proc is not None
        tree = _process_tree(service.proc.pid)
        assert len(tree) >= 2  # the service and its model process
        assert service.rss_bytes() > _rss(service.proc.pid) > 0

    # SIGINT drained the service, which stopped its model process: no orphans
    def running(pid: int) -> bool:
        try:  # a zombie waiting for its parent to reap it has stopped
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.monotonic() + 10
    while any(running(pid) for pid in tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in tree if running(pid)]


def test_build_engine_honours_model_process_and_the_forward_settings() -> None:
    from semcom.serving import ServeConfig
    from semcom.serving.engine import LinkEngine
    from semcom.serving.process_engine import ProcessEngine
    from semcom.serving.server import build_engine

    settings = {"device": "cpu", "forward_batch": 8, "flat_memory": False}
    local = build_engine(ServeConfig("zoo:deepjscc-cifar10-awgn", model_process=False, **settings))
    assert isinstance(local, LinkEngine)
    assert (local.max_batch, local.pad_shapes) == (8, False)
    remote = build_engine(ServeConfig("zoo:deepjscc-cifar10-awgn", **settings))
    try:
        assert isinstance(remote, ProcessEngine)
        assert (remote.k, remote.tile_shape) == (local.k, local.tile_shape)
        assert (remote.info()["max_batch"], remote.info()["pad_shapes"]) == (8, False)
    finally:
        remote.close()
