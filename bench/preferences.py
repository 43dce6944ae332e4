"""Readers' preferences at scale: renders and mails/s for a mixed list against a uniform one.

    python bench/preferences.py                       # 3 runs each, 10,000 subscribers
    python bench/preferences.py --subscribers 2000 --runs 5

A day of our own articles (six sources, two stories each) goes to two lists of the same
size through one local SMTP server (tests/smtpserver.py in its own process):
- uniform: every reader daily, every source — today's list;
- mixed: readers spread over 20 distinct source choices in both scripts, a tenth of them
  weekly readers whose weekday it is (they get the weekly digest in the same send).
The runs alternate, so both lists see the same load on the machine; the figure is the
median ratio of the mixed list's rate to the uniform one's (target: at least 0.85), and the
renders of the mixed send (one per edition and source choice, whatever the list size).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import statistics
import sys
import tempfile
from pathlib import Path

# send.DAY is a Sunday: weekly readers of Sunday get the week ending that day.
from send import DAY, smtp_server, smtp_site

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from publisher.articles.ingest import ingest_file  # noqa: E402
from publisher.config import Config  # noqa: E402
from publisher.delivery.engine import SendReport, send_day  # noqa: E402
from publisher.mail import subscribers  # noqa: E402
from publisher.records import SCRIPTS, Frequency  # noqa: E402
from publisher.store import Store  # noqa: E402

SOURCES = tuple(f"示範{name}報" for name in "甲乙丙丁戊己")
CHOICES = 20


def batch(folder: Path) -> Path:
    """Our own day: two stories from each source."""
    lines = []
    for n, (source, k) in enumerate(itertools.product(SOURCES, range(2))):
        lines += [
            f"第{n}則示範新聞：{source}報導",
            f"這是{source}的第{k}則示範內容。({source})",
            "",
        ]
    path = folder / f"{DAY}.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def opt_outs() -> list[frozenset[str]]:
    """20 distinct opt-out sets, each leaving at least one of today's sources: none, then
    each single source, then pairs."""
    singles = [frozenset({s}) for s in SOURCES]
    pairs = [frozenset(p) for p in itertools.combinations(SOURCES, 2)]
    return [frozenset(), *singles, *pairs][:CHOICES]


def make_store(root: Path, port: int, people: int, mixed: bool) -> tuple[Config, Store]:
    root.mkdir()
    settings, now, store = smtp_site(root, port)
    assert ingest_file(settings, store, batch(root), now=now).error is None
    choices = opt_outs()
    with store.transaction():
        for n in range(people):
            person = subscribers.add(store, f"reader{n}@example.org", SCRIPTS[n % 2], now)
            if mixed:
                weekly = n % 10 == 9
                store.set_subscriber_preferences(
                    person.id,
                    person.script,
                    Frequency.WEEKLY if weekly else Frequency.DAILY,
                    DAY.weekday() if weekly else None,
                    None,
                    choices[(n // 2) % CHOICES],
                )
    return settings, store


def run(settings: Config, store: Store) -> SendReport:
    """One send of the day from scratch: earlier runs' deliveries are forgotten."""
    with store.transaction():
        store.db.execute("DELETE FROM deliveries")
    now = dt.datetime.combine(DAY, dt.time(7), tzinfo=settings.site.zone)
    report = send_day(settings, store, DAY, now)
    sent = report.sent + (report.weekly.sent if report.weekly else 0)
    assert sent == len(subscribers.active(store)), report
    return report


def rate(report: SendReport) -> float:
    return (report.sent + (report.weekly.sent if report.weekly else 0)) / report.seconds


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--subscribers", type=int, default=10_000)
    options.add_argument("--runs", type=int, default=3, help="runs of each (median reported)")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as folder, smtp_server() as port:
        uniform = make_store(Path(folder) / "uniform", port, args.subscribers, mixed=False)
        mixed = make_store(Path(folder) / "mixed", port, args.subscribers, mixed=True)
        ratios, flat, varied = [], [], []
        for _ in range(args.runs):
            flat.append(rate(run(*uniform)))
            report = run(*mixed)
            varied.append(rate(report))
            ratios.append(varied[-1] / flat[-1])
            weekly = report.weekly
            print(
                f"  run: uniform {flat[-1]:5.0f} mails/s, mixed {varied[-1]:5.0f} mails/s "
                f"(ratio {ratios[-1]:.2f}); mixed renders: daily {report.renders}, weekly "
                f"{weekly.renders if weekly else 0}",
                flush=True,
            )
        renders = report.renders + (weekly.renders if weekly else 0)
        print(
            f"{args.subscribers:,} subscribers over {CHOICES} source choices x 2 scripts "
            f"(a tenth weekly): {renders} renders in all ({report.renders} daily, "
            f"{weekly.renders if weekly else 0} weekly)"
        )
        print(
            f"mails/s: uniform {statistics.median(flat):5.0f}, mixed "
            f"{statistics.median(varied):5.0f}: ratio {statistics.median(ratios):.2f} "
            f"(median of {args.runs}; target at least 0.85)"
        )
        for _, store in (uniform, mixed):
            store.close()


if __name__ == "__main__":
    main()
