"""Start-up cost of the quick commands: wall time and modules imported.

    python bench/startup.py [--tree PATH]

Runs `publisher --help`, `publisher status` and `publisher ingest` of one example batch in
fresh processes, 7 times each, and prints the median wall time, the modules the process
imported, and the ratio against a bare `python -c pass` measured in the same run. `--tree`
points at another checkout (e.g. an older release) to measure it the same way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUNS = 7
COUNT = "import sys; print(len(sys.modules), file=sys.stderr)"


def import_ms(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Time spent importing, from `python -X importtime` (top-level imports' cumulative)."""
    done = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True
    )
    total = 0
    for line in done.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[1].strip().isdigit() and not fields[2].startswith("  "):
            total += int(fields[1])
    return total / 1000


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    times, modules = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        modules = int(done.stderr.strip().splitlines()[-1])
    return statistics.median(times), modules


def command(args: list[str]) -> list[str]:
    probe = (
        "import sys\nfrom publisher.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n{COUNT}"
    )
    return [sys.executable, "-c", probe]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=REPO, help="the checkout to measure")
    tree = parser.parse_args().tree.resolve()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    example = str(REPO / "examples" / "2025-12-14.txt")
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        bare, bare_modules = timed([sys.executable, "-c", COUNT], cwd, env)
        print(f"tree: {tree}")
        print(f"{'command':24} {'wall':>10} {'modules':>7} {'ratio':>6} {'imports':>10}")
        print(f"{'python -c pass':24} {bare * 1000:7.0f} ms {bare_modules:7d} {1:5.2f}×")
        for label, args in [
            ("publisher --help", ["--help"]),
            ("publisher ingest FILE", ["ingest", example]),
            ("publisher status", ["status"]),
        ]:
            seconds, modules = timed(command(args), cwd, env)
            importing = import_ms(command(args), cwd, env)
            print(
                f"{label:24} {seconds * 1000:7.0f} ms {modules:7d} {seconds / bare:5.2f}×"
                f" {importing:7.0f} ms"
            )


if __name__ == "__main__":
    main()
