"""The documentation: a page per layer and per CLI command, every option documented,
every relative link resolving."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from semcom.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LAYERS = ["getting-started", "data", "channels", "codecs", "link", "training", "zoo"]


def _commands() -> list[tuple[str, Any]]:
    """``(page name, command)`` for every command; ``zoo list`` and ``zoo show`` share a page."""
    root: Any = typer.main.get_command(app)
    out: list[tuple[str, Any]] = []
    for name, cmd in root.commands.items():
        if hasattr(cmd, "commands"):
            out += [(name, sub) for sub in cmd.commands.values()]
        else:
            out.append((name, cmd))
    return out


@pytest.mark.parametrize("page", LAYERS)
def test_every_layer_has_a_page(page: str) -> None:
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert len(text) > 800


@pytest.mark.parametrize(("page", "command"), _commands(), ids=lambda v: getattr(v, "name", v))
def test_every_cli_option_is_documented(page: str, command: Any) -> None:
    text = (DOCS / "cli" / f"{page}.md").read_text(encoding="utf-8")
    for param in command.params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert f"`{opt}" in text, f"docs/cli/{page}.md does not document {opt}"
    for opt in getattr(command, "secondary_opts", []):
        assert opt in text


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        assert (path.parent / target).exists(), f"{path.name}: broken link {target}"


def test_docs_index_lists_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for page in DOCS.rglob("*.md"):
        if page.name != "README.md":
            assert str(page.relative_to(DOCS)) in index, page


def test_no_docstring_example_is_skipped() -> None:
    # every example runs as a doctest (pytest --doctest-modules over src/semcom)
    skipped = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "src" / "semcom").rglob("*.py")
        if "doctest: +" + "SKIP" in p.read_text(encoding="utf-8")
    ]
    assert not skipped, skipped
