"""The parsed-TOML cache (followup_cli.clinic_files): the sheet reads the rules and the call scripts
without the TOML parser, and a cache can never make followup read an old file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from followup_cli.clinic_files import cache_file, read_toml
from followup_cli.errors import FollowupError

RULES = '[categories.eyes]\nkind = "treated"\nlabel = "双眼皮"\nmatch = ["眼"]\n'


def entry(path: Path) -> Path:
    return Path(cache_file(os.path.abspath(path)))


def test_a_file_read_twice_is_read_the_second_time_from_the_cache(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    first = read_toml(path)
    assert entry(path).is_file()
    # the cache answers: a different parse result stored there comes back
    stored = json.loads(entry(path).read_text(encoding="utf-8"))
    assert stored["data"] == first
    stored["data"]["categories"]["eyes"]["label"] = "from the cache"
    entry(path).write_text(json.dumps(stored), encoding="utf-8")
    assert read_toml(path)["categories"]["eyes"]["label"] == "from the cache"


def test_the_cache_is_private_like_every_file_followup_writes(tmp_path: Path) -> None:
    path = tmp_path / "followup.toml"
    path.write_text('[clinic]\nname = "丽格医美"\n', encoding="utf-8")
    read_toml(path)
    assert entry(path).stat().st_mode & 0o777 == 0o600
    assert entry(path).parent.stat().st_mode & 0o777 == 0o700


def test_an_edited_file_is_read_again_whatever_its_size_and_time(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    read_toml(path)
    stat = path.stat()
    path.write_text(RULES.replace("双眼皮", "三眼皮"), encoding="utf-8")   # same length
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))             # same timestamp
    assert path.stat().st_size == stat.st_size
    assert read_toml(path)["categories"]["eyes"]["label"] == "三眼皮"


def test_a_broken_file_is_reported_though_its_last_good_text_is_cached(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    read_toml(path)
    path.write_text(RULES + "kind = \n", encoding="utf-8")
    with pytest.raises(FollowupError, match="rules.toml"):
        read_toml(path)


@pytest.mark.parametrize("damage", ["", "{not json", '{"path": 1}', "[]", '{"data": 3}'])
def test_a_damaged_cache_costs_one_parse_and_is_written_again(tmp_path: Path,
                                                               damage: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    read_toml(path)
    entry(path).write_text(damage, encoding="utf-8")
    assert read_toml(path)["categories"]["eyes"]["match"] == ["眼"]
    assert json.loads(entry(path).read_text(encoding="utf-8"))["text"] == RULES


def test_no_cache_folder_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    assert read_toml(path) == read_toml(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder", "rules.toml"]


def test_files_with_dates_are_parsed_every_time_and_not_cached(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text("closed = [2026-12-24]\n", encoding="utf-8")
    assert read_toml(path) == {"closed": [date(2026, 12, 24)]}
    assert not entry(path).exists()
    assert read_toml(path) == {"closed": [date(2026, 12, 24)]}


def test_two_files_with_one_text_keep_their_own_entries(tmp_path: Path) -> None:
    one, two = tmp_path / "a" / "rules.toml", tmp_path / "b" / "rules.toml"
    for path in (one, two):
        path.parent.mkdir()
        path.write_text(RULES, encoding="utf-8")
        read_toml(path)
    assert entry(one) != entry(two)
    assert json.loads(entry(two).read_text(encoding="utf-8"))["path"] == str(two)


def test_the_call_sheet_loads_no_toml_parser_once_the_cache_is_warm(
        cli, tmp_path: Path) -> None:
    assert cli("init", "--demo", "--patients", "60").code == 0
    line = ("import sys\nfrom followup_cli.cli import run\n"
            "code = run(['due', '--today'])\n"
            "print(code, 'tomllib' in sys.modules, file=sys.stderr)\n")
    seen = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", line], capture_output=True, text=True,
                              env=os.environ, timeout=60)
        seen.append(done.stderr.strip().splitlines()[-1])
    assert seen == ["0 True", "0 False"]
