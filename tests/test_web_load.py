"""Many at once (issue 21 item 6): eight agents logging calls over HTTP to one `followup
serve` while the CLI logs calls into the same ledger; no call is lost. Bounded in count
and time: bench/web_load.py's HTTP load (the same code as its full 8 x 500 run) at a small
size; prints the throughput and the latencies."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
AGENTS = 8
CALLS_EACH = 24   # per agent: 12 patients, a failed call then a reached one
CLI_CALLS = 10


def test_eight_agents_and_the_cli_at_once_lose_no_call() -> None:
    pytest.importorskip("starlette")
    sys.path.insert(0, str(ROOT / "bench"))
    import web_load

    figures = web_load.http_load(AGENTS, CALLS_EACH, cli_calls=CLI_CALLS)
    print("\n" + "\n".join(web_load.describe_http(figures)))
    assert figures["statuses"] == {201: AGENTS * CALLS_EACH}, figures["errors"]
    assert figures["http_logged"] == AGENTS * CALLS_EACH
    assert figures["cli_codes"] == {0: CLI_CALLS}
    assert figures["logged"] == AGENTS * CALLS_EACH + CLI_CALLS
    assert figures["lost"] == 0 and figures["duplicates"] == 0
    assert figures["doctor"] == 0 and figures["open_tasks"] == 0
    assert figures["ok"]
