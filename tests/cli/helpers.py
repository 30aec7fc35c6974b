"""What the CLI tests share: run ``semcom`` in-process, check a one-line error."""

from __future__ import annotations

import pytest

from semcom.cli.app import main


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of ``semcom ARGV``."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, needle: str) -> None:
    """Exit status 2 and exactly one ``error: ...`` line on stderr, containing ``needle``."""
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert code == 2
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert needle in lines[0]
