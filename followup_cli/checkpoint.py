"""Named points a test can stop a process at, to kill it exactly there.

`reached(name)` does nothing unless $FOLLOWUP_TEST_PAUSE_AT names the point: `NAME` (its
first time) or `NAME:N` (its Nth time in this process). There the process writes
`at NAME N` on stderr and waits to be killed (tests/test_crash_and_fuzz.py), or exits
after five minutes if nobody does. `NAME:*` writes the line each time, and goes on.
The points:

  import.chunk   before a chunk of an import's visits is written (importing.write.write_staged)
  log.attempt    between a logged call's row and its links to the tasks (calls.log_call)
  replan.task    after one task of a replan moved (planning.replan)
  commit         before a write transaction commits (ledger.transaction)
  committed      after it committed
"""

from __future__ import annotations

import os
import time

_AT = os.environ.get("FOLLOWUP_TEST_PAUSE_AT")
_seen: dict[str, int] = {}


def reached(name: str) -> None:
    if _AT is not None:
        _pause_if_named(name)


def _pause_if_named(name: str) -> None:
    want, _, nth = (_AT or "").partition(":")
    if name != want:
        return
    _seen[name] = n = _seen.get(name, 0) + 1
    if nth == "*":
        os.write(2, f"at {name} {n}\n".encode())   # and goes on
    elif n == int(nth or 1):
        os.write(2, f"at {name} {n}\n".encode())
        time.sleep(300)   # until a test kills it
        os._exit(70)
