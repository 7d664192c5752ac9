"""`followup serve` under a new user's safety trial: whom a day is shared to, corrections,
huge ids, uploads kept, sign-in throttling, the API's types, long notes, start-up errors,
the Host header. HTTP in-process on real temporary ledgers (test_web's fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("starlette")
from test_web import ledger, signed_in  # noqa: E402, F401


def test_disabling_a_disabled_user_says_so(cli, ledger: Path) -> None:  # noqa: ANN001, F811
    first = cli("user", "disable", "李娜")
    assert first.code == 0 and "signed out" in first.out
    again = cli("user", "disable", "李娜")
    assert again.code == 0
    assert again.out.strip() == ("user 李娜 is already disabled (followup user passwd enables "
                                 "them again)")
