"""Running the service in a child process: a start that fails says why."""

from __future__ import annotations

import pytest

from semcom.errors import SemcomError
from semcom.serving.server import ServiceProcess


def test_a_service_process_that_cannot_start_reports_its_error() -> None:
    with (
        pytest.raises(SemcomError, match=r"semcom serve exited at start: .*zoo-nope"),
        ServiceProcess(["--checkpoint", "zoo:zoo-nope"], start_timeout_s=120),
    ):
        pass
