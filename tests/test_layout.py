"""The architecture holds: light commands import little, and only the store speaks SQL."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]
PACKAGE = REPO / "publisher"

# What the quick commands must never load: the scheduler, the mail and feed renderers, the
# web server. (reader keeps such a test for its own lazy imports.)
HEAVY = {"apscheduler", "premailer", "feedgen", "uvicorn", "starlette"}

PROBE = """
import json, sys
from publisher.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})), file=sys.stderr)
"""


def loaded_by(tmp_path: Path, *argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "argv",
    [("--help",), ("status",), ("ingest", str(REPO / "examples" / "2025-12-14.txt"))],
    ids=["help", "status", "ingest"],
)
def test_quick_commands_do_not_load_the_heavy_stack(tmp_path: Path, argv: tuple[str]) -> None:
    loaded = loaded_by(tmp_path, *argv)
    assert "publisher" in loaded, "the probe ran the CLI"
    assert loaded & HEAVY == set()
    if argv[0] != "ingest":
        assert {"jinja2", "opencc"} & loaded == set(), "only ingest needs OpenCC"


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """The check above can fail: `digest` does load the renderers."""
    assert {"premailer", "feedgen"} <= loaded_by(tmp_path, "digest", "--date", "2025-12-14")


SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")


def test_only_the_store_package_speaks_sql() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(PACKAGE / "store"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(import sqlite3|from sqlite3|import psycopg|from psycopg)", text, re.M):
            offenders.append(f"{path.relative_to(REPO)}: imports a database driver")
        if SQL.search(text):
            offenders.append(f"{path.relative_to(REPO)}: holds SQL")
    assert offenders == []


# The flow, lowest first: a package may import those below it, never one above.
LAYERS = [
    {"__version__", "records", "errors", "text", "words", "files"},
    {"config", "config_checks", "editions"},
    {"store"},
    {"articles"},
    {"site"},
    {"mail"},
    {"delivery"},
    {"run"},
    {"web"},
    {"cli", "__main__"},
]


def _layer(module: str) -> int:
    part = module.split(".")[1] if module.count(".") else ""
    return next(rank for rank, names in enumerate(LAYERS) if part in names)


def test_dependencies_point_down_the_flow() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        if name == "publisher":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
                if node.module == "publisher":
                    targets = [f"publisher.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                if target.startswith("publisher.") and _layer(target) > _layer(name):
                    wrong.append(f"{name} imports {target}")
    assert wrong == []


def _imports_of(path: Path, modules: set[str]) -> set[str]:
    """The project modules `path` imports anywhere in it (a function's import as well: a
    circle hidden in a function is still a circle)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from publisher.web import app` imports the module publisher.web.app.
            named = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= (named & modules) or {node.module}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found & modules


def import_circles(package: Path) -> list[list[str]]:
    """Every group of modules that import each other round a circle (Tarjan's strongly
    connected components with more than one module)."""
    paths = {
        ".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(
            ".__init__"
        ): path
        for path in sorted(package.rglob("*.py"))
    }
    graph = {name: _imports_of(path, set(paths)) - {name} for name, path in paths.items()}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(name: str) -> None:
        order[name] = low[name] = len(order)
        stack.append(name)
        for target in sorted(graph[name]):
            if target not in order:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], order[target])
        if low[name] == order[name]:
            group: list[str] = []
            while not group or group[-1] != name:
                group.append(stack.pop())
            if len(group) > 1:
                circles.append(sorted(group))

    for name in sorted(graph):
        if name not in order:
            visit(name)
    return circles


def test_no_modules_import_each_other_round_a_circle() -> None:
    assert import_circles(PACKAGE) == []


def test_the_circle_check_sees_a_circle(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg import b\n")
    (tmp_path / "pkg" / "b.py").write_text("def late() -> None:\n    from pkg.a import x\n")
    assert import_circles(tmp_path / "pkg") == [["pkg.a", "pkg.b"]]
