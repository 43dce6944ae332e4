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
    {"config", "config_checks", "editions", "settings"},
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


ENGINES = {"sqlite", "postgresql", "postgres"}


def _engine_checks(tree: ast.AST) -> list[int]:
    """Lines that compare with an engine's name or read `.engine` to decide something."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(
                (isinstance(side, ast.Constant) and side.value in ENGINES)
                or (isinstance(side, ast.Attribute) and side.attr == "engine")
                for side in sides
            ):
                lines.append(node.lineno)
    return lines


def test_only_the_store_package_knows_the_engines() -> None:
    """Everything else asks the storage what it can do (`storage.file`, `storage.shared`,
    publisher.store.locks), so that a third engine would be added in one package."""
    offenders = [
        f"{path.relative_to(REPO)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not path.is_relative_to(PACKAGE / "store")
        for line in _engine_checks(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_the_engine_check_finds_one() -> None:
    """The check above can fail."""
    sample = "if config.storage.engine == 'postgresql': pass\nok = 'sqlite' != kind\n"
    assert _engine_checks(ast.parse(sample)) == [1, 2]


def _imports() -> dict[str, set[str]]:
    """Each publisher module → the publisher modules it imports, anywhere in its text (a
    function's late import and a TYPE_CHECKING one tie two modules as much as any)."""
    paths = {
        ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): path
        for path in PACKAGE.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    whole = f"{node.module}.{alias.name}"
                    targets.add(whole if whole in paths else node.module)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {target for target in targets if target in paths and target != name}
    return graph


def _circles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The groups of modules that import each other, directly or round a longer path."""

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for target in graph[todo.pop()] - seen:
                seen.add(target)
                todo.append(target)
        return seen

    reach = {name: reachable(name) for name in graph}
    return {
        frozenset({name} | {other for other in reach[name] if name in reach[other]})
        for name in graph
        if name in reach[name]
    }


def test_no_module_imports_itself_round_a_circle() -> None:
    assert sorted(sorted(circle) for circle in _circles(_imports())) == []


def test_the_circle_check_finds_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == {frozenset({"a", "b", "c"})}


# Below the commands (run/, web/, cli/) a module takes the settings it reads, never the
# whole Config: a section of publisher.settings, or a Protocol naming the sections it reads
# (`SiteSettings`, `SendSettings`), which the Config the commands load satisfies. What each
# part depends on then shows in its signature, and a test can hand it just that.
BELOW_RUN = ("store", "articles", "site", "mail", "delivery")


def _whole_config_below_run(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        name
        for name, targets in graph.items()
        if name.split(".")[1:2] and name.split(".")[1] in BELOW_RUN
        if "publisher.config" in targets
    )


def test_below_run_no_module_imports_the_whole_config() -> None:
    assert _whole_config_below_run(_imports()) == []


def test_the_config_check_finds_one() -> None:
    """The check above can fail, and lets the commands (run/ and up) import the Config."""
    graph = {
        "publisher.mail.digest": {"publisher.config"},
        "publisher.run.daily": {"publisher.config"},
        "publisher.site.paths": {"publisher.settings"},
    }
    assert _whole_config_below_run(graph) == ["publisher.mail.digest"]
