"""The importer on exports shaped like real clinics' files."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import HEADER, write_export

from followup_cli.importing import reader, tuning
from followup_cli.importing.convert import parse_date
from followup_cli.ledger import get_setting
from followup_cli.phones import mask_phone, normalise_phone

ROWS = [
    "A001,C1001,周晓雯,138 1234 5678,2026/11/1,双眼皮,成交,整形外科,吴医生,林咨询,,1994/3/12,金卡,",
    "A002,C1002,郑浩,+86 139-2345-6789,2026年11月1日,植发,成交,植发中心,钱医生,林咨询,,,普通,",
    "A003,C1003,冯雪,13734567890,2026-11-02,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,水晶卡,",
    "A004,C1004,陈思琪,13645678901,2026-11-02,隆鼻,未成交,整形外科,吴医生,马咨询,,,,",
    "A005,C1009,朱婷,13190123456,2026-11-05,吸脂,未到诊,整形外科,吴医生,林咨询,,,,",
    "A006,C1004,陈思琪,13645678901,2026-11-06,隆鼻,成交,整形外科,吴医生,马咨询,,,,",
    "A007,C1011,尤佳,18612345678,46332,健康体检,成交,体检中心,许医生,,,,,",
    "A008,C1013,何伟,18834567890,2026-11-07,玻尿酸,成交,注射美容科,吕医生,林咨询,,,,是",
    "A009,C1007,韩梅,13378901234,2026-11-04,水光针,成交,皮肤科,孙医生,马咨询,高,,,",
]


@pytest.fixture
def tuned(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """`tuned(chunk=3, …)`: the imports of this test split their work in these sizes
    (followup_cli.importing.tuning), to take every path on small files."""

    def tune(**sizes: int) -> None:
        monkeypatch.setattr(tuning, "TUNING", tuning.Tuning(**sizes))

    return tune


def dump(db: Path) -> dict[str, list[dict]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {table: [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
                for table in ("patients", "visits", "tasks", "attempts")}
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_import_chinese_export(cli, tmp_path: Path, db: Path, encoding: str) -> None:
    export = write_export(tmp_path / "visits.csv", ROWS, encoding=encoding)
    result = cli("import", "visits", str(export), "--date", "2026-11-08", "--format", "json")
    assert result.code == 0, result.err
    summary = result.json()
    assert summary == {
        "file": str(export), "visits_added": 9, "visits_updated": 0, "visits_unchanged": 0,
        "patients_added": 8, "patients_updated": 0, "tasks_planned": 44, "tasks_backfill": 15,
        "consult_tasks_cancelled": 2, "no_callback_visits": 1,
        "general_projects": {"健康体检": 1},
        # the 3-, 6- and 12-month calls and a birthday in 2027, whose holidays are unknown
        "provisional_tasks": 10, "replanned": 0, "bad_rows": 0, "dry_run": False,
        "sheet": None, "ignored_columns": [], "sms_unsubscribed": 0, "visits_without_calls": {},
    }
    data = dump(db)
    phones = {p["patient_id"]: p["phone"] for p in data["patients"]}
    assert phones["C1001"] == "13812345678" and phones["C1002"] == "13923456789"
    visits = {v["visit_id"]: v for v in data["visits"]}
    assert visits["A007"]["visit_date"] == "2026-11-06"     # Excel serial date
    assert visits["A002"]["visit_date"] == "2026-11-01"     # 2026年11月1日
    assert visits["A009"]["category"] == "surgery"          # 高 moves 水光针 to surgery
    assert visits["A009"]["risk"] == "high"
    assert visits["A008"]["category"] is None               # 无需回访: nothing planned
    assert visits["A004"]["converted_by"] == "A006"         # the consult converted by A006
    consult_tasks = [t for t in data["tasks"] if t["visit_id"] == "A004"]
    assert [(t["touchpoint"], t["status"], t["status_reason"]) for t in consult_tasks] == [
        ("3d", "cancelled", "converted"), ("1m", "cancelled", "converted")]
    assert not [t for t in data["tasks"] if t["visit_id"] == "A008"]
    birthdays = [(t["plan_key"], t["due_date"]) for t in data["tasks"]
                 if t["category"] == "birthday"]
    assert birthdays == [("birthday/C1001/2027/0d", "2027-03-12")]


def test_backfill_is_a_count_per_visit(cli, tmp_path: Path, db: Path) -> None:
    """Calls already past when history comes in are counted on the visit, not stored as
    tasks; a corrected visit date re-derives the count with the plan."""
    export = write_export(tmp_path / "visits.csv", ROWS)
    assert cli("import", "visits", str(export), "--date", "2026-11-08").code == 0
    data = dump(db)
    assert not [t for t in data["tasks"] if t["status"] == "backfill"]
    visits = {v["visit_id"]: v for v in data["visits"]}
    assert sum(v["backfill"] for v in visits.values()) == 15
    # the surgery of 1 November: its calls of days 0, 1, 2, 3 and 6 were past on the 8th
    assert visits["A001"]["backfill"] == 5
    assert [t["touchpoint"] for t in data["tasks"] if t["visit_id"] == "A001"] == [
        "7d", "1m", "3m", "6m"]
    shown = cli("patient", "C1001", "--date", "2026-11-08", "--format", "json")
    assert [v["backfill"] for v in shown.json()["visits"]] == [5]
    assert "(backfill, left out" in cli("--lang", "en", "patient", "C1001").out
    moved = write_export(tmp_path / "moved.csv", [ROWS[0].replace("2026/11/1", "2026/11/7")])
    result = cli("import", "visits", str(moved), "--date", "2026-11-08", "--format", "json")
    assert result.json()["tasks_backfill"] == 1
    data = dump(db)
    assert next(v for v in data["visits"] if v["visit_id"] == "A001")["backfill"] == 1
    assert [t["touchpoint"] for t in data["tasks"] if t["visit_id"] == "A001"][:2] == [
        "1d", "2d"]


def test_reimport_changes_nothing(cli, tmp_path: Path, db: Path) -> None:
    export = write_export(tmp_path / "visits.csv", ROWS)
    assert cli("import", "visits", str(export), "--date", "2026-11-08").code == 0
    before = dump(db)
    again = cli("import", "visits", str(export), "--date", "2026-11-08", "--format", "json")
    assert again.code == 0
    assert again.json()["visits_unchanged"] == 9
    assert again.json()["tasks_planned"] == 0
    assert dump(db) == before


def test_corrected_row_updates_the_patient_only(cli, tmp_path: Path, db: Path) -> None:
    export = write_export(tmp_path / "visits.csv", ROWS)
    cli("import", "visits", str(export), "--date", "2026-11-08")
    before = dump(db)
    fixed = [ROWS[0].replace("周晓雯", "周晓文").replace("138 1234 5678", "13900001111"), *ROWS[1:]]
    export2 = write_export(tmp_path / "fixed.csv", fixed)
    result = cli("import", "visits", str(export2), "--date", "2026-11-08", "--format", "json")
    assert result.json()["patients_updated"] == 1
    assert result.json()["visits_added"] == 0 and result.json()["tasks_planned"] == 0
    after = dump(db)
    assert after["tasks"] == before["tasks"] and after["visits"] == before["visits"]
    patient = next(p for p in after["patients"] if p["patient_id"] == "C1001")
    assert (patient["name"], patient["phone"]) == ("周晓文", "13900001111")


def test_a_later_export_with_empty_cells_keeps_what_is_known(cli, tmp_path: Path,
                                                              db: Path) -> None:
    """A later visit's row with no birthday or card leaves the patient's as they were; a
    new number is an event and lifts the wrong-number flag; the same details again are
    not an update."""
    export = write_export(tmp_path / "visits.csv", ROWS)
    assert cli("import", "visits", str(export), "--date", "2026-11-08").code == 0
    conn = sqlite3.connect(db)
    conn.execute("UPDATE patients SET phone_bad = 1 WHERE patient_id = 'C1001'")
    conn.commit()
    conn.close()
    later = write_export(tmp_path / "later.csv", [
        "B001,C1001,周晓雯,13812345678,2026-11-09,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
        "B002,C1001,周晓雯,13912345000,2026-11-10,双眼皮,成交,整形外科,吴医生,林咨询,,,,",
        "B003,C1003,冯雪,13734567890,2026-11-10,光子嫩肤,成交,皮肤科,孙医生,马咨询,,,,"])
    result = cli("import", "visits", str(later), "--date", "2026-11-10", "--format", "json")
    assert result.code == 0
    assert (result.json()["patients_added"], result.json()["patients_updated"]) == (0, 1)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT birthday, vip_tier, phone, phone_bad FROM patients WHERE "
                        "patient_id = 'C1001'").fetchone() == ("1994-03-12", "金卡",
                                                               "13912345000", 0)
    assert conn.execute("SELECT vip_tier FROM patients WHERE patient_id = 'C1003'"
                        ).fetchone() == ("水晶卡",)
    assert conn.execute("SELECT patient_id, action FROM patient_events").fetchall() == [
        ("C1001", "phone_changed")]
    conn.close()


def test_a_bad_row_writes_nothing(cli, tmp_path: Path, db: Path) -> None:
    rows = [*ROWS[:3], "A010,C2000,王五,12345,2026-11-03,双眼皮,成交,,,,,,,",
            "A011,C2001,赵六,13800002222,2026-13-45,双眼皮,成交,,,,,,,",
            "A012,,钱七,13800003333,2026-11-03,双眼皮,成交,,,,,,,"]
    export = write_export(tmp_path / "visits.csv", rows)
    result = cli("import", "visits", str(export), "--date", "2026-11-08")
    assert result.code == 2
    assert result.out == ""
    assert result.err.splitlines() == [
        f"followup: {export}: 3 rows cannot be imported; nothing of the file was written. "
        "Fix them and retry:",
        "  visits.csv line 5, column '手机号': not a mainland mobile or landline number",
        "  visits.csv line 6, column '到诊日期': not a date (use 2026-10-01, 2026/10/1, "
        "2026年10月1日 or an Excel date number)",
        "  visits.csv line 7, column '客户编号': required, but empty",
        "Or use --skip-bad BAD.csv to import the good rows only.",
    ]
    assert "12345" not in result.err            # no personal data in messages
    assert all(rows == [] for rows in dump(db).values())


def test_skip_bad_imports_the_good_rows(cli, tmp_path: Path, db: Path) -> None:
    rows = [*ROWS[:2], "A010,C2000,王五,12345,2026-11-03,双眼皮,成交,,,,,,,"]
    export = write_export(tmp_path / "visits.csv", rows)
    bad = tmp_path / "bad.csv"
    result = cli("import", "visits", str(export), "--date", "2026-11-08", "--skip-bad", str(bad))
    assert result.code == 0
    assert len(dump(db)["visits"]) == 2
    lines = bad.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "line,column,reason," + HEADER
    assert lines[1].startswith("4,手机号,not a mainland mobile or landline number,A010,C2000,王五")
    assert oct(bad.stat().st_mode & 0o777) == "0o600"


def test_dry_run_writes_nothing(cli, tmp_path: Path, db: Path) -> None:
    export = write_export(tmp_path / "visits.csv", ROWS)
    result = cli("import", "visits", str(export), "--date", "2026-11-08", "--dry-run")
    assert result.code == 0
    assert "visits added 9" in result.out and "(dry run: nothing was written)" in result.out
    assert all(rows == [] for rows in dump(db).values())


def test_missing_column_lists_headers_and_the_fix(cli, tmp_path: Path) -> None:
    header = "客户编号,客户姓名,手机号,预约到院时间,治疗项目"
    export = write_export(tmp_path / "v.csv", ["C1,张三,13800001111,2026-11-01,双眼皮"],
                          header=header)
    result = cli("import", "visits", str(export))
    assert result.code == 2
    assert result.err == (
        f"followup: {export}: a required column is missing: 就诊日期/到诊日期/治疗日期. Headers found: "
        "客户编号、客户姓名、手机号、预约到院时间、治疗项目. If one of them is the column needed, "
        "add: --map 预约到院时间=visit_date\n")
    fixed = cli("import", "visits", str(export), "--date", "2026-11-02", "--map",
                "预约到院时间=visit_date", "--format", "json")
    assert fixed.code == 0 and fixed.json()["visits_added"] == 1


def test_map_stored_in_the_clinic_config(cli, tmp_path: Path) -> None:
    (tmp_path / "followup.toml").write_text('[import.map]\n"预约到院时间" = "visit_date"\n',
                                            encoding="utf-8")
    export = write_export(tmp_path / "v.csv", ["C1,张三,13800001111,2026-11-01,双眼皮"],
                          header="客户编号,客户姓名,手机号,预约到院时间,治疗项目")
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0


@pytest.mark.parametrize(("arrived", "converted", "kind"), [
    ("否", "", "no_show"), ("是", "是", "treated"), ("是", "否", "consult"),
    ("Y", "N", "consult"), ("1", "1", "treated"), ("0", "1", "no_show"),
])
def test_yes_no_kind_columns(cli, tmp_path: Path, db: Path, arrived: str, converted: str,
                             kind: str) -> None:
    export = write_export(tmp_path / "v.csv", [f"C1,张三,13800001111,2026-11-01,隆鼻,{arrived},"
                                               f"{converted}"],
                          header="档案号,姓名,电话,日期,项目,是否到诊,是否成交")
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    assert dump(db)["visits"][0]["kind"] == kind


def test_xlsx_with_dates_and_numeric_phones(cli, tmp_path: Path, db: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["客户编号", "姓名", "手机号", "就诊日期", "项目", "状态"])
    sheet.append(["C1", "张三", 13800001111, date(2026, 11, 1), "双眼皮", "成交"])
    sheet.append(["C2", "李四", "+86 139 0000 2222", "2026/11/2", "配镜", "已消费"])
    book.save(tmp_path / "v.xlsx")
    result = cli("import", "visits", str(tmp_path / "v.xlsx"), "--date", "2026-11-03",
                 "--format", "json")
    assert result.code == 0, result.err
    data = dump(db)
    assert [(p["patient_id"], p["phone"]) for p in data["patients"]] == [
        ("C1", "13800001111"), ("C2", "13900002222")]
    assert [(v["patient_id"], v["visit_date"], v["category"]) for v in data["visits"]] == [
        ("C1", "2026-11-01", "surgery"), ("C2", "2026-11-02", "optometry")]


def test_gb18030_only_characters(cli, tmp_path: Path, db: Path) -> None:
    # 䶮 is in GB18030 but not in GBK
    export = write_export(tmp_path / "v.csv",
                          ["A1,C1,刘䶮,13800001111,2026-11-01,双眼皮,成交,,,,,,,"])
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    assert dump(db)["patients"][0]["name"] == "刘䶮"


def test_derived_visit_ids_are_stable(cli, tmp_path: Path, db: Path) -> None:
    export = write_export(tmp_path / "v.csv", ["C1,张三,13800001111,2026-11-01 10:30,双眼皮"],
                          header="客户编号,姓名,电话,到诊日期,项目")
    cli("import", "visits", str(export), "--date", "2026-11-02")
    again = cli("import", "visits", str(export), "--date", "2026-11-02", "--format", "json")
    assert again.json()["visits_unchanged"] == 1
    visit = dump(db)["visits"][0]
    assert visit["visit_id"].startswith("V") and visit["visit_time"] == "10:30"


@pytest.mark.parametrize(("raw", "phone"), [
    ("138 1234 5678", "13812345678"), ("+86 139-2345-6789", "13923456789"),
    ("008613912345678", "13912345678"), ("8613912345678", "13912345678"),
    ("010-12345678", "01012345678"), ("(0755) 1234-5678", "075512345678"),
    ("13812345678.0", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"), ("＋８６ １３９-２３４５-６７８９", "13923456789"),
])
def test_phone_normalisation(raw: str, phone: str) -> None:
    assert normalise_phone(raw) == phone


@pytest.mark.parametrize("raw", ["12345", "2381234567", "1381234567", "abc", "+1 212 555 0100",
                                 "138١٢٣٤٥٦٧٨"])   # other scripts' digits are not phone digits
def test_bad_phones(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(raw)


def test_mask() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("01012345678") == "010****5678"


@pytest.mark.parametrize(("raw", "parsed"), [
    ("2026-10-01", (date(2026, 10, 1), None)), ("2026/10/1", (date(2026, 10, 1), None)),
    ("2026年10月1日", (date(2026, 10, 1), None)), ("20261001", (date(2026, 10, 1), None)),
    ("46296", (date(2026, 10, 1), None)), ("46296.5", (date(2026, 10, 1), "12:00")),
    ("2026-10-01 09:30", (date(2026, 10, 1), "09:30")),
    ("2026/10/1 9:05:07", (date(2026, 10, 1), "09:05:07")),
])
def test_dates(raw: str, parsed: tuple) -> None:
    assert parse_date(raw) == parsed


@pytest.mark.parametrize("raw", ["2026-02-30", "yesterday", "10/01/2026", "1"])
def test_bad_dates(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)


def test_sample_export_from_shared(cli) -> None:
    sample = Path(__file__).resolve().parents[2] / "shared" / "samples" / "visits-sample.csv"
    if not sample.exists():
        pytest.skip("shared/ is not beside this checkout")
    result = cli("import", "visits", str(sample), "--date", "2026-11-08", "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["visits_added"] == 14 and result.json()["patients_added"] == 13


def test_example_export_in_data(cli) -> None:
    example = Path(__file__).resolve().parents[1] / "data" / "visits-example.csv"
    result = cli("import", "visits", str(example), "--date", "2026-11-20", "--format", "json")
    assert result.code == 0, result.err
    summary = result.json()
    assert (summary["visits_added"], summary["patients_added"], summary["bad_rows"]) == (48, 48, 0)
    assert summary["general_projects"] == {"健康体检": 1, "口腔检查": 2}


def test_a_visit_after_the_import_day(cli, tmp_path: Path) -> None:
    export = write_export(tmp_path / "v.csv",
                          ["A1,C1,周晓雯,13812345678,2026-11-20,双眼皮,成交,,,,,,,"])
    result = cli("import", "visits", str(export), "--date", "2026-11-19")
    assert result.code == 2
    assert result.err.splitlines()[1:] == [
        "  v.csv line 2, column '到诊日期': the date is after the import day 2026-11-19",
        "Or use --skip-bad BAD.csv to import the good rows only. To load history, give the "
        "import day with --date."]


@pytest.mark.parametrize("chunk, bulk_rows", [(2, 10**9), (500, 0), (3, 0)])
def test_chunks_and_bulk_loads_give_the_same_ledger(cli, tmp_path: Path, tuned,  # noqa: ANN001
                                                     chunk: int, bulk_rows: int) -> None:
    """Small chunks split one patient's visits (a consult converted in a later chunk); a
    bulk load rebuilds the visits' indexes after the rows. The ledger must be the same."""
    # C1009 again, with a new number, in the same chunk as their first visit
    first = write_export(tmp_path / "visits.csv", [
        *ROWS, "A011,C1009,朱婷,13190000000,2026-11-06,吸脂,成交,整形外科,吴医生,林咨询,,,,"])
    moved = write_export(tmp_path / "moved.csv", [
        ROWS[0].replace("2026/11/1", "2026/11/7"), ROWS[3].replace("未成交", "成交"),
        "A010,C1099,林新,13512345678,2026-11-07,双眼皮,成交,整形外科,吴医生,林咨询,,,金卡,"])

    def load(db: Path) -> tuple[dict, list]:
        for export in (first, moved):
            assert cli("--db", str(db), "import", "visits", str(export), "--date",
                       "2026-11-08").code == 0
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                               "ORDER BY name").fetchall()
        conn.close()
        data = dump(db)
        for task in data["tasks"]:
            task.pop("task_id")   # numbered in the order the rows went in
        data["tasks"].sort(key=lambda task: task["plan_key"])
        return data, indexes

    expected = load(tmp_path / "one-chunk.db")
    tuned(chunk=chunk, bulk_rows=bulk_rows)
    assert load(tmp_path / "other.db") == expected
    visits = {v["visit_id"]: v for v in expected[0]["visits"]}
    assert visits["A004"]["converted_by"] == "A006" and visits["A001"]["backfill"] == 1
    phones = {p["patient_id"]: p["phone"] for p in expected[0]["patients"]}
    assert phones["C1009"] == "13190000000"


@pytest.mark.slow
def test_a_second_process_reads_a_large_file_the_same(cli, tmp_path: Path,
                                                      tuned) -> None:  # noqa: ANN001
    """A large CSV is read and checked by a forked process (Tuning.process_bytes): the
    same summary, the same bad rows in the same order, the same messages, the same ledger
    as reading it here; and its errors still name the file and line."""
    rows = [*ROWS, ROWS[0],                                           # the same row twice
            ROWS[2].replace("光子嫩肤", "热玛吉"),                     # A003 again, changed
            "B001,C2001,吕静,1234,2026-11-03,双眼皮,成交,,,,,,,",        # a bad phone
            "B002,C2002,施雨,13912340000,2026-11-31,双眼皮,成交,,,,,,,",  # no such day
            "B003,C2003,苏婉,13912340001,2026-11-03 14:30,双眼皮,成交,,,,,,,"]
    rows += [f"D{i:04d},P{i % 37:04d},魏然,139{i:08d},2026-10-{1 + i % 28:02d},植发,"
             f"{'未成交' if i % 3 else '成交'},,,,,,," for i in range(4500)]  # several messages
    export = write_export(tmp_path / "big.csv", rows)
    broken = tmp_path / "broken.csv"
    broken.write_bytes(export.read_bytes()[:-200] + b"\xff\xfe\xfa\r\n")
    no_name = write_export(tmp_path / "no-name.csv", ROWS[:1],
                           header=HEADER.replace("客户姓名", "备注"))

    def run_all(name: str) -> list:
        db = tmp_path / f"{name}.db"
        seen = []
        for args in (["--skip-bad", str(tmp_path / f"{name}-bad.csv"), "--format", "json"],
                     []):   # again: every visit is known now, and the bad rows refuse it
            result = cli("--db", str(db), "import", "visits", str(export), "--date",
                         "2026-11-08", *args)
            seen.append((result.code, result.out.replace(name, "N"), result.err.replace(name, "N")))
        for path in (broken, no_name):
            result = cli("--db", str(db), "import", "visits", str(path), "--date", "2026-11-08")
            seen.append((result.code, result.out, result.err.replace(str(path), "F")))
        data = dump(db)
        for task in data["tasks"]:
            task.pop("task_id")
        data["tasks"].sort(key=lambda task: task["plan_key"])
        return [seen, data, (tmp_path / f"{name}-bad.csv").read_text(encoding="utf-8-sig")]

    tuned(process_bytes=10 ** 12)
    assert not reader.worth_a_process(export)
    here = run_all("here")
    tuned(process_bytes=0, sent=700)
    assert reader.worth_a_process(export)
    forked_run = run_all("forked")
    for step, (a, b) in enumerate(zip(forked_run[0], here[0], strict=True)):
        assert a == b, step
    assert forked_run[1] == here[1] and forked_run[2] == here[2]
    (code, out, _), (again, _, err), (enc, _, enc_err), (hdr, _, hdr_err) = here[0]
    assert code == 0 and json.loads(out)["bad_rows"] == 3
    assert again == 2 and "A003" not in err and "line 12" in err   # the conflicting row
    assert enc == 2 and "F" in enc_err and "line" in enc_err
    assert hdr == 2 and "name" in hdr_err


def test_a_first_import_plans_every_birthday_so_the_first_sheet_need_not(
        cli, tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`due` plans all VIP birthdays when its year is not planned yet; after a ledger's
    first import (every patient planned) the first sheet finds them planned."""
    export = write_export(tmp_path / "visits.csv", ROWS)
    assert cli("import", "visits", str(export), "--date", "2026-11-08").code == 0
    conn = sqlite3.connect(db)
    assert get_setting(conn, "birthdays_planned_through") == "2027"
    planned = conn.execute("SELECT plan_key FROM tasks WHERE category = 'birthday'").fetchall()
    conn.close()
    assert cli("due", "--date", "2026-11-09", "--format", "json").code == 0
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT plan_key FROM tasks WHERE category = 'birthday'"
                        ).fetchall() == planned == [("birthday/C1001/2027/0d",)]
    # an import into a ledger that has patients plans only its own: the setting stays
    conn.close()
    later = write_export(tmp_path / "later.csv", [
        "B1,N1,秦雨,13711112222,2027-01-05,双眼皮,成交,,,,,1990-02-01,VIP,"])
    from followup_cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2027, 1, 5, 18, 0))   # an import as of
    assert cli("import", "visits", str(later), "--date", "2027-01-05").code == 0
    conn = sqlite3.connect(db)
    assert get_setting(conn, "birthdays_planned_through") == "2027"
    conn.close()


def test_a_first_bulk_import_checks_its_references_at_the_end(cli, tmp_path: Path, db: Path,
                                                               tuned) -> None:  # noqa: ANN001
    """A ledger's first large import leaves SQLite's per-row reference check off and checks
    every reference once before it commits: a broken one writes nothing, and the ledger's
    connection has its check on again afterwards."""
    from followup_cli.calendar import load_calendar
    from followup_cli.importing import import_visits
    from followup_cli.importing.write import check_references
    from followup_cli.ledger import open_ledger
    from followup_cli.rules import load_rules

    tuned(bulk_rows=0)
    export = write_export(tmp_path / "visits.csv", ROWS)
    conn = open_ledger(db)
    # a bug that files patients under other ids: every visit then points nowhere
    conn.execute("CREATE TEMP TRIGGER misfiled AFTER INSERT ON main.visits BEGIN "
                 "UPDATE visits SET patient_id = 'x' || new.patient_id "
                 "WHERE visit_id = new.visit_id; END")
    with pytest.raises(RuntimeError, match="missing row"):
        import_visits(conn, export, load_rules(None), load_calendar(None), date(2026, 11, 8))
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM patients").fetchone()[0] == 0
    conn.execute("DROP TRIGGER temp.misfiled")
    summary = import_visits(conn, export, load_rules(None), load_calendar(None),
                            date(2026, 11, 8))
    assert summary.added == len(ROWS)
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    check_references(conn)
    # the check finds each kind of broken reference
    conn.execute("PRAGMA foreign_keys = OFF")
    for broken, undo in [
            ("UPDATE visits SET patient_id = 'nobody' WHERE visit_id = 'A001'",
             "UPDATE visits SET patient_id = 'C1001' WHERE visit_id = 'A001'"),
            ("UPDATE visits SET converted_by = 'A999' WHERE visit_id = 'A004'",
             "UPDATE visits SET converted_by = 'A006' WHERE visit_id = 'A004'"),
            ("UPDATE tasks SET visit_id = 'A999' WHERE task_id = (SELECT min(task_id) FROM tasks)",
             "UPDATE tasks SET visit_id = (SELECT min(visit_id) FROM visits) "
             "WHERE visit_id = 'A999'")]:
        conn.execute(broken)
        with pytest.raises(RuntimeError, match="missing row"):
            check_references(conn)
        conn.execute(undo)
    conn.close()


def test_a_first_import_read_by_the_second_process_is_the_same(cli, tmp_path: Path,
                                                               tuned) -> None:  # noqa: ANN001
    """A first import of a large CSV read by the second process (patients whose number,
    birthday or card changes on the way, cells left empty later, a bad row skipped): the
    ledger, the summary, the patients' events and the bad rows' file are the same as
    when this process reads."""
    rows = []
    for i in range(3000):
        p = i % 97
        phone = f"139{p:04d}{i // 1000:04d}" if p % 5 == 0 else f"139{p:08d}"
        birthday = f"19{70 + p % 30}-0{1 + p % 9}-1{p % 9}" if i % 4 and p % 3 == 0 else ""
        vip = ("金卡" if i < 1500 else "钻石卡") if p % 7 == 0 and i % 2 else ""
        name = "魏然" if p % 11 or i < 2000 else "魏冉"
        rows.append(f"E{i:05d},P{p:03d},{name},{phone},2026-{1 + i % 10:02d}-{1 + i % 28:02d},"
                    f"{('植发', '双眼皮', '洗牙', '热玛吉')[i % 4]},"
                    f"{('成交', '未成交', '未到诊')[i % 3]},,,,,{birthday},{vip},"
                    f"{'是' if i % 50 == 0 else ''}")
    rows[1234] = rows[1234].replace(",2026-", ",2027-")   # after the import day: a bad row
    export = write_export(tmp_path / "big.csv", rows)

    def load(name: str) -> tuple[str, dict, list, str]:
        db = tmp_path / f"{name}.db"
        result = cli("--db", str(db), "import", "visits", str(export), "--date", "2026-11-08",
                     "--format", "json", "--skip-bad", str(tmp_path / f"{name}-bad.csv"))
        assert result.code == 0, result.err
        data = dump(db)
        for task in data["tasks"]:
            task.pop("task_id")
        data["tasks"].sort(key=lambda task: task["plan_key"])
        conn = sqlite3.connect(db)
        events = conn.execute("SELECT event_id, patient_id, at, agent, action FROM "
                              "patient_events ORDER BY event_id").fetchall()
        conn.close()
        return (result.out.replace(name, "N"), data, events,
                (tmp_path / f"{name}-bad.csv").read_text(encoding="utf-8-sig"))

    tuned(process_bytes=10 ** 12)
    here = load("here")
    tuned(process_bytes=0, sent=700)
    assert load("forked") == here
    summary = json.loads(here[0])
    assert summary["patients_added"] == 97 and summary["patients_updated"] > 20
    # numbers changed: each change a later visit brought is an event (an older visit's
    # row does not change the patient)
    assert len(here[2]) > 10
    assert summary["bad_rows"] == 1 and "E01234" in here[3]


def test_every_row_of_a_patient_is_sent_none_skipped_on_a_guess() -> None:
    """The stager sends a patient's row for every visit not older than theirs before it,
    the same row again too (the upsert decides what changes): no row is dropped because
    a hash of it matched an earlier one."""
    from followup_cli.calendar import load_calendar
    from followup_cli.importing import ImportSummary, Visit
    from followup_cli.importing.stage import Stager
    from followup_cli.rules import load_rules

    def visit(i: int, pid: str, phone: str, day: int = 1) -> Visit:
        return Visit(line=i, patient_id=pid, name="周晓雯", phone=phone,
                     visit_date=date(2026, 11, day), visit_time=None, project="双眼皮",
                     kind="treated", visit_id=f"A{i}")

    phones = ["13812345678", "13812345678", "13900000000", "13900000000", "13812345678"]
    stager = Stager(load_rules(None), load_calendar(None), date(2026, 11, 8),
                    ImportSummary(), note_touched=False)
    sent = [row[:3] for i, phone in enumerate(phones)
            for row in stager.stage([visit(i, "C1", phone), visit(i + 10, "C2", "13700000000")],
                                    frozenset(), {}).patients]
    assert sent == [row for phone in phones
                    for row in (("C1", "周晓雯", phone), ("C2", "周晓雯", "13700000000"))]
    # an older visit's row is not the patient's: not sent
    older = stager.stage([visit(20, "C3", "13600000000", 5), visit(21, "C3", "13500000000", 2)],
                         frozenset(), {}).patients
    assert [row[2] for row in older] == ["13600000000"]


def test_every_row_gives_a_visit_or_names_its_column() -> None:
    """RowParser on rows clean and not: a visit, or a RowError naming the file's own
    header (or "-" for the row as a whole); the same the second time (its dates known)."""
    from followup_cli.importing.columns import map_headers
    from followup_cli.importing.records import RowError
    from followup_cli.importing.rows import RowParser

    headers = HEADER.split(",")
    parser = RowParser(headers, map_headers(Path("v.csv"), headers, {}), date(2026, 11, 8))
    cells = ["A001", "C1001", "周晓雯", "13812345678", "2026-11-01", "双眼皮", "成交", "整形外科",
             "吴医生", "林咨询", "", "1994-03-12", "金卡", ""]
    variants: list[list] = [cells]
    for i, values in enumerate([
            ["", "A 2"], ["", " C1001 "], ["", "周晓雯 "], ["", "138 1234 5678", "+8613812345678",
                                                          "12812345678", "1381234567"],
            ["", "2026/11/1", "2026-11-09", "1989-12-31", "2026-11-01 14:30", "2026-02-30"],
            ["", " 双眼皮"], ["", "未成交", "未到诊", "疗程结束", "已付款", "treated"],
            [""], [""], [""], ["高", "低风险", "Medium", "严重"],
                                ["1899-12-31", "2026-11-09", "昨天"],
            ["普通"], ["是", "否", "Y", "no", "也许"]]):
        for value in values:
            variants.append([*cells[:i], value, *cells[i + 1:]])
    variants += [cells[:-1], [*cells, ""], [*cells, "多余"], [*cells[:5], "长" * 201, *cells[6:]],
                 [*cells[:3], 13812345678, *cells[4:]]]

    def outcome(read, cells: list) -> object:   # noqa: ANN001
        try:
            return read(7, cells)
        except RowError as e:
            return (e.column, e.reason)

    outcomes = [outcome(parser, row) for row in variants]
    assert [outcome(parser, row) for row in variants] == outcomes
    assert all(isinstance(o, tuple) and o[0] in (*headers, "-") for o in outcomes
               if not hasattr(o, "visit_id"))
    assert sum(hasattr(o, "visit_id") for o in outcomes) > 20


@pytest.mark.parametrize("ledger_has_data", [False, True])
def test_a_bad_row_late_in_a_large_file_still_writes_nothing(cli, tmp_path: Path, tuned,
                                                             ledger_has_data: bool) -> None:  # noqa: ANN001
    """The second process sends its bad rows with each message: one far down a large file
    (after several messages) is reported with its line, and nothing is written, whether
    that process stages a first import or only reads for a ledger with data."""
    db = tmp_path / "ledger.db"
    if ledger_has_data:
        assert cli("--db", str(db), "import", "visits",
                   str(write_export(tmp_path / "first.csv",
                                    ROWS)), "--date", "2026-11-08").code == 0
    rows = [f"F{i:05d},R{i % 300:04d},魏然,139{i % 300:08d},2026-10-{1 + i % 28:02d},植发,成交,,,,,,,"
            for i in range(3000)]
    rows[2890] = rows[2890].replace("2026-10-", "2026-13-")
    tuned(process_bytes=0, sent=700)
    before = dump(db) if ledger_has_data else None
    result = cli("--db", str(db), "import", "visits",
                 str(write_export(tmp_path / "big.csv", rows)), "--date", "2026-11-08")
    assert result.code == 2 and "line 2892" in result.err
    if ledger_has_data:
        assert dump(db) == before
    else:
        assert dump(db)["visits"] == []


# --- hardening: ids, rows that disagree, workbooks, messages -------------------------

def test_a_visit_never_changes_patient(cli, tmp_path: Path, db: Path) -> None:
    """A visit re-imported under another patient id is refused (its tasks and calls are
    the first patient's): the message names the visit, both patients and the line."""
    assert cli("import", "visits", str(write_export(tmp_path / "v.csv", ROWS)),
               "--date", "2026-11-08").code == 0
    before = dump(db)
    moved = write_export(tmp_path / "moved.csv", [
        ROWS[1], ROWS[0].replace(",C1001,", ",C1002,")])
    result = cli("import", "visits", str(moved), "--date", "2026-11-08")
    assert result.code == 2
    assert result.err.splitlines()[1:-1] == [
        "  moved.csv line 3, column '客户编号': visit A001 is patient C1001's in the ledger, "
        "but this row gives it to patient C1002: a visit does not change patient (its "
        "callbacks and calls are C1001's); check the export"]
    assert dump(db) == before
    bad = tmp_path / "bad.csv"
    result = cli("import", "visits", str(moved), "--date", "2026-11-08", "--skip-bad", str(bad),
                 "--format", "json")
    assert result.code == 0 and result.json()["bad_rows"] == 1
    assert bad.read_text(encoding="utf-8-sig").splitlines()[1].startswith(
        "3,客户编号,\"visit A001 is patient C1001's in the ledger, but this row gives it to "
        "patient C1002")
    assert bad.read_text(encoding="utf-8-sig").splitlines()[1].endswith(
        ",A001,C1002,周晓雯,138 1234 "
        "5678,2026/11/1,双眼皮,成交,整形外科,吴医生,林咨询,,1994/3/12,金卡,")
    assert {v["visit_id"]: v["patient_id"] for v in dump(db)["visits"]}["A001"] == "C1001"


def test_ids_are_compared_as_people_see_them(cli, tmp_path: Path, db: Path) -> None:
    """Full-width digits, a BOM, zero-width and control characters, spaces around: the
    same id. The ledger stores the normalised id; the commands find it by either."""
    first = write_export(tmp_path / "v.csv", [
        "Ａ００１,\ufeffＣ１００１\u200b,周晓雯,13812345678,2026-11-01,双眼皮,成交,,,,,,,"],
        encoding="utf-8")
    assert cli("import", "visits", str(first), "--date", "2026-11-08").code == 0
    data = dump(db)
    assert [(v["visit_id"], v["patient_id"]) for v in data["visits"]] == [("A001", "C1001")]
    again = write_export(tmp_path / "again.csv", [
        " A001\u2060, C1001\x07,周晓雯,13812345678,2026-11-01,双眼皮,成交,,,,,,,"],
        encoding="utf-8")
    result = cli("import", "visits", str(again), "--date", "2026-11-08", "--format", "json")
    assert result.code == 0 and result.json()["visits_unchanged"] == 1
    assert dump(db) == data
    shown = cli("patient", "Ｃ１００１\u200b", "--date", "2026-11-08", "--format", "json")
    assert shown.code == 0 and shown.json()["patient"]["patient_id"] == "C1001"
    logged = cli("log", "--patient", " C1001\u200b", "--outcome", "no_answer", "--when",
                 "2026-11-08 15:00")
    assert logged.code == 0, logged.err
    assert cli("assign", "--date", "2026-11-08", "--move", "Ｃ１００１", "--to", "小王").code == 0


def test_a_header_is_read_like_an_id(cli, tmp_path: Path, db: Path) -> None:
    """A full-width ｖｉｓｉｔ＿ｉｄ header is visit_id (a re-import does not double the
    visits); headers followup does not read are listed in the summary."""
    export = write_export(tmp_path / "v.csv", [
        "A1,C1,张三,13800001111,2026-11-01,双眼皮,老客户",
        "A2,C2,李四,13800002222,2026-11-01,双眼皮,"],
        header="ｖｉｓｉｔ＿ｉｄ,客户编号,姓名,电话,日期,项目,备注", encoding="utf-8")
    result = cli("import", "visits", str(export), "--date", "2026-11-02")
    assert result.code == 0
    assert "columns not read: 备注" in result.out.splitlines()
    again = cli("import", "visits", str(export), "--date", "2026-11-02", "--format", "json")
    assert again.json()["visits_unchanged"] == 2 and again.json()["ignored_columns"] == ["备注"]
    assert [v["visit_id"] for v in dump(db)["visits"]] == ["A1", "A2"]


def test_a_reimport_after_a_voided_call_replans(cli, tmp_path: Path, db: Path) -> None:
    """A visit whose task had a call that was then voided: a corrected visit date re-plans
    it (no IntegrityError); the task the call refers to stays, with its new dates."""
    export = write_export(tmp_path / "v.csv", ["A1,C1,张三,13800001111,2026-11-01,双眼皮"],
                          header="单号,客户编号,姓名,电话,日期,项目")
    assert cli("import", "visits", str(export), "--date", "2026-11-02").code == 0
    task = cli("due", "--date", "2026-11-02", "--format", "json").json()[0]
    assert task["touchpoint"] == "1d"
    assert cli("log", str(task["task_id"]), "--outcome", "no_answer", "--when",
               "2026-11-02 15:00").code == 0
    assert cli("log", "--void", "1", "--reason", "logged on the wrong task").code == 0
    moved = write_export(tmp_path / "moved.csv", ["A1,C1,张三,13800001111,2026-11-02,双眼皮"],
                         header="单号,客户编号,姓名,电话,日期,项目")
    result = cli("import", "visits", str(moved), "--date", "2026-11-02", "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["visits_updated"] == 1
    data = dump(db)
    kept = next(t for t in data["tasks"] if t["task_id"] == task["task_id"])
    assert (kept["touchpoint"], kept["due_date"], kept["status"]) == ("1d", "2026-11-03", "open")
    assert [a["attempt_id"] for a in data["attempts"]] == [1, 2]   # the call and its void
    assert len([t for t in data["tasks"] if t["touchpoint"] == "1d"]) == 1


def test_the_same_visit_twice_with_other_details_is_refused(cli, tmp_path: Path, db: Path) -> None:
    """The same visit id with another doctor (or phone, or name…) two lines apart: both
    lines are named; the same row twice is still fine."""
    rows = [ROWS[0], ROWS[1], ROWS[0].replace("吴医生", "郑医生"), ROWS[1]]
    result = cli("import", "visits", str(write_export(tmp_path / "v.csv", rows)),
                 "--date", "2026-11-08")
    assert result.code == 2
    assert result.err.splitlines()[1:-1] == [
        "  v.csv line 4, column '单号': the same visit id appears twice in the file with "
        "different content (see also line 2)"]
    assert all(rows == [] for rows in dump(db).values())


def test_a_patient_has_the_details_of_their_latest_visit(cli, tmp_path: Path, db: Path) -> None:
    """An export sorted newest first: the patient keeps the number of their latest visit;
    an older export imported afterwards does not bring the old number back."""
    newest_first = write_export(tmp_path / "v.csv", [
        "B3,C1,周晓雯,13900000003,2026-11-05,双眼皮,成交,,,,,,,",
        "B2,C1,周晓雯,13900000002,2026-11-03,双眼皮,成交,,,,,,,",
        "B1,C1,周晓雯,13900000001,2026-11-01,双眼皮,成交,,,,,,,"])
    assert cli("import", "visits", str(newest_first), "--date", "2026-11-08").code == 0
    assert [p["phone"] for p in dump(db)["patients"]] == ["13900000003"]
    older = write_export(tmp_path / "older.csv", [
        "B0,C1,周晓文,13900000000,2026-10-01,双眼皮,成交,,,,,,,"])
    result = cli("import", "visits", str(older), "--date", "2026-11-08", "--format", "json")
    assert result.json()["visits_added"] == 1 and result.json()["patients_updated"] == 0
    assert [(p["name"], p["phone"]) for p in dump(db)["patients"]] == [("周晓雯", "13900000003")]
    newer = write_export(tmp_path / "newer.csv", [
        "B4,C1,周晓雯,13900000004,2026-11-07,双眼皮,成交,,,,,,,"])
    assert cli("import", "visits", str(newer), "--date", "2026-11-08").code == 0
    assert [p["phone"] for p in dump(db)["patients"]] == ["13900000004"]


def test_a_row_cut_off_mid_write_is_refused(cli, tmp_path: Path, db: Path) -> None:
    """Fewer cells than the header (a file cut off mid-write); more cells that hold
    something: refused with the line. Empty cells past the header are fine."""
    rows = [ROWS[0], ",".join(ROWS[1].split(",")[:6]), ROWS[2] + ",多余", ROWS[3] + ",,"]
    result = cli("import", "visits", str(write_export(tmp_path / "v.csv", rows)),
                 "--date", "2026-11-08")
    assert result.code == 2
    assert result.err.splitlines()[1:-1] == [
        "  v.csv line 3, column '-': the row has 6 cells, the header 14 (a file cut off "
        "mid-write?)",
        "  v.csv line 4, column '-': the row has 15 cells, the header 14 (a file cut off "
        "mid-write?)"]
    assert all(rows == [] for rows in dump(db).values())


def test_a_no_callback_flag_stored_as_text_is_read(cli, tmp_path: Path, db: Path) -> None:
    """A ledger where no-callback flags are the text "True"/"False": a re-import reads
    them as 1/0 (nothing re-planned); a TRUE cell of a workbook is a yes."""
    export = write_export(tmp_path / "v.csv", ROWS)
    assert cli("import", "visits", str(export), "--date", "2026-11-08").code == 0
    conn = sqlite3.connect(db)
    conn.execute("UPDATE visits SET no_callback = CASE no_callback WHEN 1 THEN 'True' "
                 "ELSE 'False' END")
    conn.commit()
    conn.close()
    before = dump(db)
    again = cli("import", "visits", str(export), "--date", "2026-11-08", "--format", "json")
    assert again.json()["visits_unchanged"] == 9 and again.json()["visits_updated"] == 0
    assert dump(db) == before


def _workbook(path: Path, sheets: list[tuple[str, str, list[list]]]) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, state, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_a_hidden_first_sheet_is_not_read(cli, tmp_path: Path, db: Path) -> None:
    """The first visible sheet is read and named in the summary; --sheet picks another;
    an unknown name lists the sheets."""
    header = ["客户编号", "姓名", "手机号", "就诊日期", "项目", "无需回访"]
    book = _workbook(tmp_path / "v.xlsx", [
        ("模板", "hidden", [header, ["C9", "样例", 13800009999, "2026-11-01", "双眼皮", False]]),
        ("就诊", "visible", [header, ["C1", "张三", 13800001111, "2026-11-01", "双眼皮", True]]),
        ("上月", "visible", [header, ["C2", "李四", 13800002222, "2026-10-01", "配镜", None]])])
    result = cli("import", "visits", str(book), "--date", "2026-11-02")
    assert result.code == 0, result.err
    assert "sheet read: 就诊" in result.out.splitlines()
    assert [(v["patient_id"], v["no_callback"]) for v in dump(db)["visits"]] == [("C1", 1)]
    picked = cli("import", "visits", str(book), "--date", "2026-11-02", "--sheet", "上月",
                 "--format", "json")
    assert picked.json()["sheet"] == "上月" and picked.json()["visits_added"] == 1
    unknown = cli("import", "visits", str(book), "--sheet", "本月")
    assert unknown.code == 2
    assert unknown.err == f"followup: {book}: no sheet named '本月'. Sheets: 模板、就诊、上月\n"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(cli, tmp_path: Path, db: Path,
                                                     tuned) -> None:  # noqa: ANN001
    """A workbook whose sheet declares far more than it packs (or more than the total
    limit) is refused from the zip's directory, before anything is unpacked."""
    import zipfile

    good = _workbook(tmp_path / "good.xlsx", [("就诊", "visible", [
        ["客户编号", "姓名", "手机号", "就诊日期", "项目"],
        ["C1", "张三", 13800001111, "2026-11-01", "双眼皮"]])])
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(
            bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for item in source.infolist():
            out.writestr(item, source.read(item))
        out.writestr("xl/worksheets/sheet9.xml", b"<row/>" * (4 << 20))   # 24 MB of it
    assert bomb.stat().st_size < 1 << 20
    result = cli("import", "visits", str(bomb), "--date", "2026-11-02")
    assert result.code == 2
    assert result.err.startswith(f"followup: {bomb}: this workbook would unpack to too much (")
    tuned(max_unpacked=1000)
    result = cli("import", "visits", str(good), "--date", "2026-11-02")
    assert result.code == 2 and "would unpack to too much" in result.err
    tuned()
    assert cli("import", "visits", str(good), "--date", "2026-11-02").code == 0
    assert len(dump(db)["visits"]) == 1


def test_no_personal_data_when_the_header_row_is_missing(cli, tmp_path: Path) -> None:
    """A CSV without its header row: its first row is a patient's; the message says the
    first row does not look like headers and shows none of it."""
    export = write_export(tmp_path / "v.csv", ROWS[1:3], header=ROWS[0])
    result = cli("import", "visits", str(export), "--date", "2026-11-08")
    assert result.code == 2
    assert result.err == (
        f"followup: {export}: required columns are missing: 客户编号/患者ID/患者编号、姓名/客户姓名/"
        "患者姓名、电话/手机/手机号、就诊日期/到诊日期/治疗日期、项目/治疗项目/消费项目. Headers found: none: the first row does not look like a header row (columns "
        "1..14); does the file lack its header row? If one of them is the column needed, add: "
        "--map HEADER=patient_id --map …=name --map …=phone --map …=visit_date --map …=project\n")
    for private in ("周晓雯", "1234", "5678", "1994"):
        assert private not in result.err
    # a header row with a phone pasted into a header cell: that cell is shown by position
    header = "客户编号,姓名,13812345678,就诊日期,项目"
    export = write_export(tmp_path / "w.csv", ["C1,张三,13800001111,2026-11-01,双眼皮"],
                          header=header)
    result = cli("import", "visits", str(export), "--date", "2026-11-08")
    assert result.code == 2 and "13812345678" not in result.err
    assert "Headers found: 客户编号、姓名、column 3、就诊日期、项目" in result.err


def test_a_bad_rows_file_that_cannot_be_written_writes_nothing(cli, tmp_path: Path,
                                                               db: Path) -> None:
    """--skip-bad into a folder that is not there: exit 2, the ledger as it was (a write
    that fails half-way: tests/test_safety.py)."""
    rows = [*ROWS[:2], "A010,C2000,王五,12345,2026-11-03,双眼皮,成交,,,,,,,"]
    export = write_export(tmp_path / "visits.csv", rows)
    result = cli("import", "visits", str(export), "--date", "2026-11-08", "--skip-bad",
                 str(tmp_path / "no-such-folder" / "bad.csv"))
    assert result.code == 2 and result.out == ""
    assert all(rows == [] for rows in dump(db).values())


def test_a_sheet_is_asked_of_a_workbook_only(cli, tmp_path: Path) -> None:
    export = write_export(tmp_path / "v.csv", ROWS[:1])
    result = cli("import", "visits", str(export), "--sheet", "明细")
    assert (result.code, result.err) == (2, "followup: v.csv is not an .xlsx workbook and has no "
                                            "sheets: --sheet is for .xlsx files\n")


def test_an_import_as_of_a_day_still_to_come_is_refused(cli, tmp_path: Path, db: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`import visits --date` after today planned the callbacks from that day."""
    from followup_cli import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 8, 10, 0))
    export = write_export(tmp_path / "visits.csv", ROWS)
    result = cli("import", "visits", str(export), "--date", "2026-11-09")
    assert (result.code, result.out, result.err) == (
        2, "", "followup: --date 2026-11-09 is after today (2026-11-08): give today or an "
               "earlier day\n")
    assert not db.exists()   # refused before the ledger is opened
    assert cli("import", "visits", str(export), "--date", "2026-11-08").code == 0


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "1 visit planned no calls: its category, Re-check, dressing or stitches"),
    ("zh", "1 次就诊未安排回访：所属类别「复查/换药/拆线"),
])
def test_the_summary_says_why_a_follow_up_visit_planned_nothing(cli, tmp_path: Path, lang: str,
                                                               said: str) -> None:
    """A re-check of a patient the ledger has no treatment for plans nothing: the summary
    says so, and why, instead of leaving a visit with no calls unexplained."""
    export = write_export(tmp_path / "v.csv", [
        "R1,C1,周晓雯,13812345678,2026-11-10,双眼皮复查,成交,整形外科,吴医生,林咨询,,,,",
        "R2,C2,李娜,13912345678,2026-11-10,光子嫩肤,成交,皮肤科,吴医生,林咨询,,,,"])
    result = cli("--lang", lang, "import", "visits", str(export), "--date", "2026-11-10")
    assert result.code == 0, result.err
    assert said in result.out
    data = cli("import", "visits", str(export), "--date", "2026-11-10", "--dry-run",
               "--format", "json")
    assert data.json()["visits_without_calls"] == {}   # unchanged: nothing new to explain


@pytest.mark.parametrize(("encoding", "lang", "says"), [
    ("utf-8", "en", "bad.csv line 3, column 7: unreadable text encoding (UTF-8 and GB18030 "
                    "are supported)"),
    ("gb18030", "en", "bad.csv line 3, column 7: unreadable text encoding"),
    ("utf-8", "zh", "bad.csv 第 3 行第 7 个字符处：无法识别的文字编码"),
])
def test_an_encoding_error_names_the_line_and_column_of_the_bad_bytes(
        cli, tmp_path: Path, encoding: str, lang: str, says: str) -> None:
    """bad bytes on line 3 said "第 1 行：无法识别的文字编码": the reader decodes ahead in
    blocks, and a UTF-8 file with bad bytes was sniffed as GB18030, which stops at line 1."""
    good = write_export(tmp_path / "bad.csv", ROWS[1:2], encoding=encoding)
    bad = good.read_bytes() + b"A2,C2,\xff\xff," + ROWS[2].split(",", 3)[3].encode(encoding)
    good.write_bytes(bad)
    result = cli("--lang", lang, "import", "visits", str(good), "--date", "2026-11-08")
    assert result.code == 2 and says in result.err, result.err


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_message_says_a_stop_after_a_value_that_ends_its_sentence(lang: str) -> None:
    """"Headers found: …does the file lack its header row?. If one…": a value that ends with
    its own stop takes the place of the message's, for every message of the catalogue."""
    import re

    from followup_cli.i18n import catalogue, set_lang, t

    set_lang(lang)
    try:
        ids = list(catalogue()._catalog) if lang == "zh" else []   # type: ignore[attr-defined]
        messages = [m for m in ids if isinstance(m, str) and m] or [
            "{error}. {hint}", "{path}: a required column is missing: {columns}. Headers "
            "found: {headers}. If one of them is the column needed, add: {fix}"]
        for message in messages:
            names = set(re.findall(r"\{(\w+)\}", message))
            if not names or "\x04" in message:
                continue
            said = t(message, **{n: "x?" if n != "count" else 2 for n in names})
            assert "?." not in said and "?。" not in said, message
    finally:
        set_lang(None)
