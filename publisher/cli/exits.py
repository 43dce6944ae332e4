"""Exit codes. For the commands that send (`send`, `run --once`) the code says the state of
the day, not of this run, so that cron mails someone until the day is really done."""

from __future__ import annotations

from publisher.delivery.settle import DayState

OK = 0
# A command failed, or the day has mail that failed for good or may not have arrived.
ATTENTION = 1
USAGE = 2  # argparse's own
BUSY = 69  # EX_UNAVAILABLE: another publisher process holds the store; nothing was done
# EX_TEMPFAIL, as sendmail uses it: mail deferred or the run stopped early; run again later.
UNFINISHED = 75
# What a shell shows for a command killed by SIGPIPE (128 + 13): stdout was a pipe whose
# reader had gone (`publisher status | head -2`).
CLOSED_PIPE = 141

HELP = (
    "Exit status: 0 the day's mail is all sent; 1 a mail of the day failed or is uncertain, "
    "or sending stopped for a problem of the sender's (refusals such as 5.7.x, complaint and "
    "bounce rates over the stop level, or a relay that refuses every mail until a setting "
    "changes), or the command failed; 75 mail is still queued (deferred, or the run stopped "
    "early: run it again later); 69 another publisher process holds the store (nothing was "
    "done)."
)

_OF_DAY = {DayState.COMPLETE: OK, DayState.ATTENTION: ATTENTION, DayState.UNFINISHED: UNFINISHED}


def of_day(state: DayState) -> int:
    return _OF_DAY[state]
