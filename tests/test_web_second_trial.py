"""Findings of a new user's second trial of `followup serve`: the board's move menu, an
alert's answer said on the card, codes shown as words, flashes that name the patient.

The ledger and the clock are test_web's: visits imported on 3 Nov 2026, now 4 Nov 10:00."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_web import ledger, signed_in  # noqa: F401

pytest.importorskip("starlette")


def move_menu(page: str) -> list[str]:
    form = page.split('action="/board/move"')[1].split("</form>")[0]
    return re.findall(r"<option>([^<]+)</option>", form)


def test_the_move_menu_leaves_out_a_name_that_cannot_sign_in(cli, ledger: Path) -> None:  # noqa: ANN001, F811
    boss, csrf = signed_in(ledger, "boss", "boss-pass-12")
    assert boss.post("/board/share", data={"csrf": csrf, "agents": "王芳,李娜"},
                     follow_redirects=False).status_code == 303
    assert move_menu(boss.get("/board").text) == ["李娜", "王芳"]
    assert cli("user", "disable", "王芳").code == 0
    page = boss.get("/board").text
    assert "无法登录：请移交这些患者" in page   # her row says move her patients
    assert move_menu(page) == ["李娜"]          # and the menu offers only whom they can go to
