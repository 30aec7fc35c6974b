"""``semcom serve`` / ``semcom loadtest`` (and their console scripts): one-line errors, and a
load test against a live service written to CSV and JSON."""

from __future__ import annotations

import csv
import json
import socket
from pathlib import Path

import pytest
from tests.cli.helpers import assert_one_line_error, run_cli

import semcom
from semcom.cli import loadtest as loadtest_cli
from semcom.cli import serve as serve_cli
from semcom.serving import ServeConfig
from semcom.serving.app import create_app
from semcom.serving.engine import LinkEngine
from semcom.serving.server import ServiceThread


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["serve", "--max-batch", "0"], "max_batch must be >= 1"),
        (["serve", "--timeout-s", "0"], "timeout_s must be > 0"),
        (["serve", "--port", "70000"], "cannot listen on 127.0.0.1:70000"),
        (["serve", "--checkpoint", "zoo:nope", "--port", "0"], "nope"),
        (["loadtest", "--url", "ftp://x"], "url must start with http://"),
        (["loadtest", "--users", "0"], "users and requests must be >= 1"),
        (["loadtest", "--endpoint", "encode"], "unknown endpoint 'encode'"),
        (["loadtest", "--url", "http://127.0.0.1:9", "--requests", "2"], "no service answers"),
    ],
)
def test_bad_options_are_one_line_errors(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, *argv)
    assert_one_line_error(code, err, needle)


def test_a_port_in_use_is_refused_before_the_model_loads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code, _, err = run_cli(capsys, "serve", "--port", str(port))
    assert_one_line_error(code, err, f"cannot listen on 127.0.0.1:{port}")


def test_console_scripts_share_the_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_cli.main(["--queue-size", "0"]) == 2
    assert "queue_size must be >= 1" in capsys.readouterr().err
    assert loadtest_cli.main(["--rate", "-1"]) == 2
    assert "rate must be > 0" in capsys.readouterr().err
    assert loadtest_cli.main(["--bogus"]) == 2
    assert "No such option" in capsys.readouterr().err


def test_loadtest_against_a_live_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = LinkEngine(semcom.load("zoo:deepjscc-cifar10-awgn"))
    path = tmp_path / "load.csv"
    with ServiceThread(create_app(engine, ServeConfig(api_key="k"))) as url:
        code, out, err = run_cli(
            capsys, "loadtest", "--url", url, "--users", "4", "--requests", "12", "--json",
            "--csv", str(path), "--api-key", "k", "--seed", "5",
        )  # fmt: skip
        assert code == 0, err
        summary = json.loads(out)
        assert (summary["ok"], summary["errors"], summary["seed"]) == (12, {}, 5)
        assert summary["p50_ms"] <= summary["p99_ms"]
        with path.open() as f:
            rows = list(csv.DictReader(f))
        assert sorted(int(r["index"]) for r in rows) == list(range(12))
        assert {r["status"] for r in rows} == {"200"}
        # without the key: refused at GET /v1/info, before any load
        code, _, err = run_cli(capsys, "loadtest", "--url", url, "--requests", "3", "--json")
        assert_one_line_error(code, err, "GET /v1/info answered 401: missing or wrong API key")
        # open loop with a rate
        code, out, _ = run_cli(
            capsys, "loadtest", "--url", url, "--requests", "6", "--rate", "50", "--users", "2",
            "--endpoint", "transmit", "--api-key", "k", "--json",
        )  # fmt: skip
        assert code == 0
        assert json.loads(out)["ok"] == 6
