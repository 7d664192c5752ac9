"""`followup serve` in a real browser: Debian's Chromium driven by Selenium (chromium-driver),
never a browser downloaded by a test tool. An agent works three calls from the keyboard,
the supervisor's board shows them, and a forged cross-site POST is refused."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

NOTE = "患者反馈恢复顺利，肿胀明显消退，已提醒按时复查并注意防晒。"


def _driver(tmp_path: Path, lang: str):  # noqa: ANN202
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium and chromedriver: .ci/run installs them")
        pytest.skip("no chromium/chromedriver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1280,1000", f"--user-data-dir={tmp_path / ('chrome-' + lang)}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


@pytest.fixture
def server(tmp_path: Path):  # noqa: ANN201
    import socket

    db = tmp_path / "demo.db"
    followup = [sys.executable, "-m", "followup_cli", "--db", str(db)]
    subprocess.run([*followup, "init", "--demo", "--patients", "300"], check=True,
                   capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*followup, "serve", "--demo", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    while not lines or "http://" not in lines[-1]:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line, "serve stopped"
        lines.append(line.strip())
    passwords = dict(line.removeprefix("demo sign-in ").split(", password ")
                     for line in lines[:-1])
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz").close()
            break
        except urllib.error.URLError:
            time.sleep(0.1)
    yield base, passwords, db
    proc.terminate()
    proc.wait(timeout=20)


def sign_in(driver, base: str, name: str, password: str,  # noqa: ANN001
            lang: str = "zh") -> None:
    """Sign in, the page's language picked on the sign-in page (never the browser's)."""
    from selenium.webdriver.common.by import By

    driver.get(base + f"/login?lang={lang}")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password + "\n")


def calls_by(db: Path, agent: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM attempts WHERE agent = ?",
                            (agent,)).fetchone()[0]
    finally:
        conn.close()


def test_three_calls_from_the_keyboard_then_the_board(server,
                                                      tmp_path: Path) -> None:  # noqa: ANN001
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, passwords, db = server
    before = calls_by(db, "王芳")
    agent = _driver(tmp_path, "zh-CN")
    try:
        sign_in(agent, base, "王芳", passwords["王芳"])
        assert "我的回访" in agent.page_source
        agent.save_screenshot(str(tmp_path / "zh-day.png"))
        agent.find_element(By.CSS_SELECTOR, "a.button").click()
        body = agent.find_element(By.TAG_NAME, "body")
        # a reached call: the note, its counter, Esc out of the box, 1 = reached
        note = agent.find_element(By.ID, "note")
        note.send_keys(NOTE)
        assert agent.find_element(By.ID, "note-count").text.startswith("2")
        note.send_keys(Keys.ESCAPE)
        agent.save_screenshot(str(tmp_path / "zh-card.png"))
        body.send_keys("1")
        for key in ("2", "3"):   # no answer, busy: on to the next patient each time
            assert "saved=" in agent.current_url
            agent.find_element(By.TAG_NAME, "body").send_keys(key)
        assert "saved=" in agent.current_url
        assert calls_by(db, "王芳") == before + 3
        # a page of another site posting to the workspace: refused, nothing logged
        task = agent.current_url.split("/call/")[1].split("?")[0]
        agent.get("data:text/html,<form method=post action='" + base + "/call/" + task
                  + "'><input name=outcome value=busy></form>"
                  "<script>document.forms[0].submit()</script>")
        time.sleep(1)
        assert calls_by(db, "王芳") == before + 3
    finally:
        agent.quit()
    boss = _driver(tmp_path, "en-US")
    try:
        sign_in(boss, base, "主管", passwords["主管"], "en")
        assert boss.current_url.endswith("/board")
        row = boss.find_element(By.CSS_SELECTOR, 'tr[data-agent="王芳"]')
        made = _today_calls(db, "王芳")
        assert made >= 3
        assert row.find_element(By.CSS_SELECTOR, '[data-field="calls"]').text == str(made)
        assert "Board" in boss.page_source
        boss.save_screenshot(str(tmp_path / "en-board.png"))
        assert not [e for e in boss.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        boss.quit()


def _today_calls(db: Path, agent: str) -> int:
    from followup_cli import clock

    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM calls WHERE agent = ? AND called_at >= ?",
                            (agent, clock.today().isoformat())).fetchone()[0]
    finally:
        conn.close()
