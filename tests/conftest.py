"""Every test runs on a real temporary ledger: FOLLOWUP_DB points into tmp_path."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from followup_cli.cli import run
from followup_cli.i18n import set_lang


def pytest_configure(config: pytest.Config) -> None:
    """The Chinese messages as the .po says now (setup.py compiles them for an install)."""
    import importlib.util

    builder = Path(__file__).parent.parent / "build_catalogue.py"
    spec = importlib.util.spec_from_file_location("build_catalogue", builder)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.compile_catalogues()


@pytest.fixture(autouse=True)
def env_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWUP_DB", str(tmp_path / "ledger.db"))
    monkeypatch.setenv("FOLLOWUP_LANG", "en")
    # who calls: tests name their agent; none reads the user's own config file
    monkeypatch.setenv("FOLLOWUP_AGENT", "tester")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))   # parsed TOML files
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.delenv("FOLLOWUP_DEBUG", raising=False)
    set_lang(None)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):  # noqa: ANN201
        return json.loads(self.out)

    def csv(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.out)))


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    """Run `followup ARGS…` in-process; return its exit code, stdout and stderr."""

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = run(list(args))
        set_lang(None)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke


HEADER = "单号,客户编号,客户姓名,手机号,到诊日期,治疗项目,成交状态,科室,主治医生,咨询师,风险等级,出生日期,会员等级,无需回访"


def write_export(path: Path, rows: list[str], *, encoding: str = "gb18030",
                 header: str = HEADER) -> Path:
    """A clinic export as their HIS writes it: Chinese headers, CRLF, GB18030 by default."""
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode(encoding))
    return path


_BUILT: dict[str, Path] = {}


@pytest.fixture
def built_once(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """`built_once(key, build)`: the files `build()` leaves in tmp_path (the ledger, the
    exports), built by the first test that asks for `key` and copied for the next ones.
    One key per fixture (its module's name, when the module has one such fixture)."""

    def once(key: str, build: Callable[[], None]) -> None:
        if key in _BUILT:
            shutil.copytree(_BUILT[key], tmp_path, dirs_exist_ok=True)
            return
        build()
        keep = tmp_path_factory.mktemp("built")
        shutil.copytree(tmp_path, keep, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("cache", "*-shm"))
        _BUILT[key] = keep

    return once
