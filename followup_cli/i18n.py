"""User-facing text in Chinese and English.

The language is `--lang`, else `FOLLOWUP_LANG`, else the locale, else Chinese.
Every key has both texts; `tests/test_i18n.py` fails when one is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

LANGS = ("zh", "en")
_lang: str | None = None
# the language of one web request (`followup serve` answers several users at once)
_speaking: ContextVar[str | None] = ContextVar("followup_lang", default=None)


def set_lang(lang: str | None) -> None:
    """--lang, or None: read the environment again (every command starts here)."""
    global _lang
    _lang = lang


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Everything said inside the block is in `lang` (this thread or task only)."""
    token = _speaking.set(lang)
    try:
        yield
    finally:
        _speaking.reset(token)


def current() -> str:
    global _lang
    scoped = _speaking.get()
    if scoped:
        return scoped
    if _lang:
        return _lang
    _lang = _from_environment()   # t() runs hundreds of times for one sheet
    return _lang


def _from_environment() -> str:
    env = os.environ.get("FOLLOWUP_LANG", "")
    if env in LANGS:
        return env
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value.startswith("en"):
            return "en"
        if value.startswith("zh"):
            return "zh"
    return "zh"


def t(key: str, **values: object) -> str:
    zh, en = MESSAGES[key]
    text = en if current() == "en" else zh
    return text.format(**values) if values else text


def pick(pair: dict[str, str]) -> str:
    """The text of a {zh, en} table from rule data, in the current language."""
    return pair.get(current()) or pair.get("zh") or next(iter(pair.values()), "")


MESSAGES: dict[str, tuple[str, str]] = {
    # ledger
    "ledger.not_sqlite": ("{path} 不是 followup 台账（不是 SQLite 文件）",
                          "{path} is not a followup ledger (not an SQLite file)"),
    "ledger.newer": ("{path} 的台账版本 {found} 比本程序 ({known}) 新，请升级 followup",
                     "{path} has ledger schema {found}, newer than this followup ({known}): "
                     "upgrade followup"),
    "ledger.no_dir": ("台账目录不存在：{path}", "the ledger's folder does not exist: {path}"),
    "ledger.one_only": ("只有 report 可以给多个 --db（集团报表）；其他命令只用一个台账",
                        "only report takes several --db (a group report); other commands work "
                        "on one ledger"),
    "ledger.empty": ("台账 {path} 里还没有就诊记录。先运行 followup import visits 文件，"
                     "或 followup init --demo 试用演示数据",
                     "the ledger {path} has no visits yet: run followup import visits FILE, "
                     "or followup init --demo to try the demo clinic"),
    # ledger: a file that cannot be a ledger, a ledger that cannot be written (hardening)
    "ledger.not_a_file": ("{path} 不是普通文件，不能用作台账", "{path} is not a plain file: it "
                          "cannot be a ledger"),
    "ledger.waiting": ("正在等待台账：另一个 followup 正在写入（如导入）……",
                       "waiting for the ledger: another followup is writing (an import?)…"),
    "ledger.busy": ("台账 {path} 一直被另一个 followup 占用：本次未记录，请稍后重试",
                    "the ledger {path} stayed busy (another followup is writing): nothing was "
                    "recorded, try again"),
    "ledger.full": ("台账 {path} 所在磁盘已满：本次未记录，请腾出空间后重试",
                    "the disk holding the ledger {path} is full: nothing was recorded; free "
                    "some space and try again"),
    "ledger.read_only": ("台账 {path} 不可写（只读文件或目录）：本次未记录",
                         "the ledger {path} cannot be written (a read-only file or folder): "
                         "nothing was recorded"),
    "ledger.cant_open": ("无法打开台账 {path}（或其目录中的 -wal/-shm 文件）：台账所在目录或磁盘是否只读？",
                         "cannot open the ledger {path} (or its -wal/-shm files beside it): is "
                         "its folder or disk read-only?"),
    "ledger.io_error": ("读写台账 {path} 时磁盘出错：本次未记录", "a disk error while reading "
                        "or writing the ledger {path}: nothing was recorded"),
    "ledger.damaged": ("台账 {path} 已损坏，SQLite 无法读取：请从备份恢复",
                       "the ledger {path} is damaged beyond what SQLite can read: restore it "
                       "from a backup"),
    "backup.damaged": ("备份已写入 {path}，但台账本身有损坏（{first}）：运行 followup doctor 查看",
                       "the copy is in {path}, but the ledger itself is damaged ({first}): run "
                       "followup doctor"),
    "doctor.integrity_lines": ("SQLite 报告：{first}（另有 {more} 处）", "SQLite says: {first} ({more} more)"),
    # init
    "init.created": ("已创建台账 {path}", "created the ledger {path}"),
    "init.exists": ("台账 {path} 已存在", "the ledger {path} already exists"),
    "init.demo_refused": ("台账 {path} 已有数据；演示数据只写入空台账"
                          "（换一个 --db，或加 --force 覆盖）",
                          "the ledger {path} already holds data; the demo goes only into an "
                          "empty ledger (use another --db, or --force to replace it)"),
    "init.demo_done": ("演示台账已生成：{patients} 位患者，{visits} 次就诊，{tasks} 个回访任务，"
                       "{attempts} 次通话记录（{path}）",
                       "demo ledger ready: {patients} patients, {visits} visits, {tasks} callback "
                       "tasks, {attempts} logged calls ({path})"),
    # import
    "import.sheet_not_workbook": ("{path} 不是 .xlsx 工作簿，没有工作表：--sheet 只用于 .xlsx",
                                  "{path} is not an .xlsx workbook and has no sheets: --sheet is "
                                  "for .xlsx files"),
    "import.no_file": ("找不到文件：{path}", "file not found: {path}"),
    "import.bad_format": ("{path}：不支持的文件类型（支持 .csv 和 .xlsx）",
                          "{path}: unsupported file type (use .csv or .xlsx)"),
    "import.empty": ("{path}：文件是空的，没有表头", "{path}: the file is empty, no header row"),
    "import.encoding": ("{path} 第 {line} 行：无法识别的文字编码（支持 UTF-8 和 GB18030）",
                        "{path} line {line}: unreadable text encoding (UTF-8 and GB18030 "
                        "are supported)"),
    "import.xlsx": ("{path}：无法读取 Excel 文件（{reason}）",
                    "{path}: cannot read the Excel file ({reason})"),
    "import.missing": ("{path}：缺少必需的列 {columns}。文件中的表头：{headers}。"
                       "如果其中某列就是所需的列，请加上：{fix}",
                       "{path}: required column(s) missing: {columns}. Headers found: {headers}. "
                       "If one of them is the column needed, add: {fix}"),
    "import.bad_map": ("--map {value}：格式应为 表头=列名，列名为 {columns} 之一",
                       "--map {value}: expected HEADER=column, column one of {columns}"),
    "import.map_missing": ("{path}：--map 指定的表头“{header}”不在文件中。文件中的表头：{headers}",
                           "{path}: the --map header '{header}' is not in the file. "
                           "Headers found: {headers}"),
    "import.dup_header": ("{path}：列 {column} 出现了两次（表头 {a} 和 {b}）",
                          "{path}: column {column} appears twice (headers {a} and {b})"),
    "import.bad_rows": ("{path}：{count} 行无法导入，文件中的任何内容都未写入。"
                        "修正后重试，或用 --skip-bad 坏行.csv 只导入正确的行：",
                        "{path}: {count} row(s) cannot be imported; nothing of the file was "
                        "written. Fix them and retry, or use --skip-bad BAD.csv to import the "
                        "good rows only:"),
    "import.more_bad": ("……另有 {count} 行错误", "… and {count} more bad row(s)"),
    "import.row_error": ("{path} 第 {line} 行，列“{column}”：{reason}",
                         "{path} line {line}, column '{column}': {reason}"),
    "import.skipped_to": ("{count} 行错误未导入，已写入 {path}",
                          "{count} bad row(s) not imported, written to {path}"),
    "import.summary": ("{path}：新增就诊 {added}，更新 {updated}，未变 {unchanged}；"
                       "新增患者 {patients_added}，更新患者 {patients_updated}；"
                       "新增回访任务 {tasks}（其中补录 {backfill}），"
                       "转化后取消的咨询回访 {cancelled}",
                       "{path}: visits added {added}, updated {updated}, unchanged {unchanged}; "
                       "patients added {patients_added}, updated {patients_updated}; "
                       "callback tasks planned {tasks} (backfill {backfill}), consult tasks "
                       "cancelled by conversion {cancelled}"),
    "import.replanned": ("{count} 个暂定回访已按新的节假日安排改期",
                         "{count} provisional call(s) moved to their day under the holidays "
                         "now known"),
    "import.dry_run": ("（试运行：未写入任何内容）", "(dry run: nothing was written)"),
    "import.general": ("以下项目未匹配任何规则，按 general（通用）回访：{projects}",
                       "these projects match no rule and get the general plan: {projects}"),
    # importer hardening: workbooks, headers shown without personal data
    "import.too_large": ("{path}：这个 Excel 文件解压后过大（{members} 个成员，共 {mb} MB；上限 "
                         "{limit} MB，大成员的压缩比不超过 100:1），未读取",
                         "{path}: this workbook would unpack to too much ({members} member(s), "
                         "{mb} MB; the limits are {limit} MB and 100:1 for a large member): "
                         "not read"),
    "import.no_sheet": ("{path}：没有名为“{sheet}”的工作表。工作表：{sheets}",
                        "{path}: no sheet named '{sheet}'. Sheets: {sheets}"),
    "import.no_visible_sheet": ("{path}：没有可见的工作表（工作表：{sheets}），请用 --sheet 指定",
                                "{path}: no visible worksheet (sheets: {sheets}); choose one "
                                "with --sheet"),
    "import.not_headers": ("无：第一行不像表头（第 1–{count} 列），文件可能缺少表头行",
                           "none: the first row does not look like a header row (columns "
                           "1..{count}); does the file lack its header row?"),
    "import.column_n": ("第 {n} 列", "column {n}"),
    "import.a_header": ("表头", "HEADER"),
    "import.sheet": ("读取的工作表：{sheet}", "sheet read: {sheet}"),
    "import.ignored": ("未读取的列：{columns}", "columns not read: {columns}"),
    "import.no_callback": ("{count} 次就诊标记为无需回访，未安排回访",
                           "{count} visit(s) marked no-callback, nothing planned"),
    # row reasons
    "row.required": ("必填，但为空", "required, but empty"),
    "row.date": ("无法识别的日期（支持 2026-10-01、2026/10/1、2026年10月1日 或 Excel 日期序号）",
                 "not a date (use 2026-10-01, 2026/10/1, 2026年10月1日 or an Excel date "
                 "number)"),
    "row.future": ("日期晚于导入日 {as_of}（导入历史数据时请用 --date 指定导入日）",
                   "the date is after the import day {as_of} (to load history, give --date)"),
    "row.phone": ("不是有效的大陆手机号或座机号", "not a mainland mobile or landline number"),
    "row.status": ("无法识别的状态（应为 成交/未成交/未到诊/疗程结束 等）",
                   "unknown status (expected 成交/未成交/未到诊/疗程结束 or treated/consult/"
                   "no_show/course_end)"),
    "row.yesno": ("应为 是/否、Y/N 或 1/0", "expected 是/否, Y/N or 1/0"),
    "row.risk": ("风险等级应为 高/中/低 或 high/medium/low",
                 "risk must be 高/中/低 or high/medium/low"),
    "row.too_long": ("内容过长（超过 {limit} 个字符）", "too long (more than {limit} characters)"),
    "row.conflict": ("同一单号在文件中出现两次且内容不同（另见第 {line} 行）",
                     "the same visit id appears twice in the file with different content "
                     "(see also line {line})"),
    # importer hardening: rows that disagree, visits that change patient
    "row.cells": ("这一行有 {cells} 个单元格，表头有 {header} 个（文件可能在写入中途被截断）",
                  "the row has {cells} cell(s), the header {header} (a file cut off "
                  "mid-write?)"),
    "row.moved": ("单号 {visit_id} 在台账中属于患者 {theirs}，这一行却写成患者 {given}：就诊不会"
                  "换患者（它的回访任务和通话属于 {theirs}），请核对导出",
                  "visit {visit_id} is patient {theirs}'s in the ledger, but this row gives it "
                  "to patient {given}: a visit does not change patient (its callbacks and calls "
                  "are {theirs}'s); check the export"),
    # rules
    "rules.toml": ("{path}：TOML 语法错误：{reason}", "{path}: TOML syntax error: {reason}"),
    "rules.error": ("{path}：{where}：{reason}", "{path}: {where}: {reason}"),
    "rules.ok": ("{path}：规则有效，共 {count} 个类别", "{path}: valid, {count} categories"),
    "error.not_utf8": ("命令行参数里有不是 UTF-8 的字符：请检查终端的编码设置（应为 UTF-8）",
                       "an argument holds characters that are not UTF-8: check the terminal's "
                       "encoding (it should be UTF-8)"),
    "file.empty": ("需要一个文件名（不能为空）", "a file name is needed (not empty)"),
    # the one file writer (output/files.py)
    "file.protected": ("{path}：这是台账、台账的附属文件或正在读取的文件，不能写入；请换一个文件名",
                       "{path}: this is the ledger, one of its side files or the file being "
                       "read; not written over: choose another name"),
    "file.database": ("{path}：这是一个已有的 SQLite 数据库（台账或备份），不能覆盖；请换一个文件名或先自行删除",
                      "{path}: an existing SQLite database (a ledger or a backup) is never "
                      "written over: choose another name, or delete it yourself first"),
    "file.not_written": ("{path}：未写入（{reason}）", "{path}: not written ({reason})"),
    "file.dash": ("-O 需要一个文件名；不给 -O 时输出到终端", "-O needs a file name; without -O the output goes to the terminal"),
    "file.suffix": ("{path}：{kind} 文件的名字应以 {suffixes} 结尾（以免写到诊所的其他文件上）",
                    "{path}: a {kind} file's name should end in {suffixes} (so that no other "
                    "file of the clinic's is written over)"),
    "file.no_dir": ("文件夹不存在：{path}", "no such folder: {path}"),
    "file.not_plain": ("{path}：不是普通文件（文件夹、设备或管道），不能写入",
                       "{path}: not a plain file (a folder, a device or a pipe): not written"),
    "file.os_error": ("{path}：{reason}", "{path}: {reason}"),
    "file.unreadable": ("{path}：无法读取（{reason}）", "{path}: cannot be read ({reason})"),
    "rules.no_file": ("找不到规则文件：{path}", "rules file not found: {path}"),
    "rules.col.id": ("类别", "Category"),
    "rules.col.kind": ("就诊类型", "Visit kind"),
    "rules.col.match": ("匹配项目", "Matches"),
    "rules.col.touchpoints": ("回访节点（偏移 时段 节假日→后移/←前移 目的）",
                              "Touchpoints (offset window holiday →later/←earlier purpose)"),
    # due
    "due.need_date": ("请给出 --today 或 --date YYYY-MM-DD", "give --today or --date YYYY-MM-DD"),
    "due.empty": ("{date} 没有需要回访的患者", "nobody to call on {date}"),
    "due.title": ("{date} 回访清单：{patients} 位患者，{tasks} 个任务",
                  "Call sheet {date}: {patients} patients, {tasks} tasks"),
    "due.provisional": ("注意：{count} 个任务的日期暂定（{years} 年的法定节假日安排未知，"
                        "暂按普通周末安排）。安排公布后写入 calendar.toml 的 [years.{years}]，"
                        "再运行 followup calendar replan",
                        "note: {count} task date(s) are provisional: the public holidays of "
                        "{years} are not known yet, so ordinary weekends were assumed. When the "
                        "schedule is published, add it to calendar.toml as [years.{years}] and "
                        "run followup calendar replan"),
    "due.fix_numbers": ("{count} 位患者的号码有误，回访暂停：followup patient bad-phones",
                        "{count} patient(s) wait for a correct number: followup patient "
                        "bad-phones"),
    "due.in_window": ("现在是{window}（至 {end}）；下一个时段 {next_window} {next} 开始",
                      "now in the {window} (until {end}); the next, {next_window}, opens at "
                      "{next}"),
    "due.no_window": ("现在不在回访时段内；下一个时段 {next_window} {next} 开始",
                      "outside every calling window now; the next, {next_window}, opens at "
                      "{next}"),
    "due.in_window_waiting": (
        "现在是{window}（至 {end}）；下一个时段 {next_window} {next} 开始；"
        "{date} 还有 {patients} 位患者（{tasks} 个任务）等待之后的时段",
        "now in the {window} (until {end}); the next, {next_window}, opens at {next}; "
        "{patients} more patient(s) ({tasks} task(s)) on the sheet of {date} wait for a later "
        "window"),
    "due.no_window_waiting": (
        "现在不在回访时段内；下一个时段 {next_window} {next} 开始；"
        "{date} 的清单上还有 {patients} 位患者（{tasks} 个任务）待拨打",
        "outside every calling window now; the next, {next_window}, opens at {next}; "
        "{patients} patient(s) ({tasks} task(s)) on the sheet of {date} are still to call"),
    "due.none_now": (
        "现在没有可拨打的患者：{date} 的清单上还有 {patients} 位患者（{tasks} 个任务）待拨打，"
        "下一个时段 {next_window} {next} 开始",
        "nobody to call right now: {patients} patient(s) ({tasks} task(s)) on the sheet of "
        "{date} are still to call; the next, {next_window}, opens at {next}"),
    "due.bad_category": ("未知的类别 {value}；可选：{choices}",
                         "unknown category {value}; one of: {choices}"),
    "due.col.patient": ("患者", "Patient"),
    "due.col.visit": ("就诊", "Visit"),
    "due.col.why": ("回访事由", "Why call"),
    "due.col.overdue": ("逾期", "Overdue"),
    "due.col.tasks": ("任务号", "Tasks"),
    "due.complaint_mark": ("⚠投诉#{id}", "⚠complaint #{id}"),
    "due.last_call": ("上次：{at} {agent} {outcome} {note}", "last: {at} {agent} {outcome} {note}"),
    "due.days_since": ("就诊后第 {days} 天", "visit day +{days}"),
    "due.overdue_days": ("{days} 天", "{days} d"),
    "due.attempts": ("（已拨 {n} 次）", "({n} tries)"),
    "due.provisional_mark": ("（暂定）", "(provisional)"),
    # the call sheet: whose visit a task follows, when to call back, who waits (sheet)
    "due.task_visit": ("{project} · 第 {days} 天", "{project} · day {days}"),
    "due.of_visit": ("〔{visit}〕", "[{visit}]"),
    "due.callback_at": ("约定 {at} 回电", "promised callback at {at}"),
    "due.retry_at": ("{at} 起重拨", "retry from {at}"),
    "window.any": ("任一回访时段", "any calling window"),
    "window.afternoon": ("下午时段", "afternoon window"),
    "window.evening": ("晚间时段", "evening window"),
    # log
    "log.need_target": ("请给出任务编号或 --patient 患者编号（只能二选一）",
                        "give a TASK_ID or --patient PATIENT_ID (one of them)"),
    "log.no_task": ("没有编号为 {task_id} 的任务", "there is no task {task_id}"),
    "log.task_closed": ("任务 {task_id} 已是“{status}”状态（{by}，{at}），不能再登记通话",
                        "task {task_id} is already {status} (by {by} at {at}); nothing to log"),
    "log.at_not_calling_day": ("--at {at} 不是回访日（节假日或休息日）；下一个回访日是 {next}",
                               "--at {at} is not a calling day (holiday or closure); the next "
                               "calling day is {next}"),
    "status.open": ("待回访", "open"),
    "status.done": ("已完成", "done"),
    "status.unreachable": ("无法联系", "unreachable"),
    "status.cancelled": ("已取消", "cancelled"),
    "status.backfill": ("补录", "backfill"),
    "log.no_patient": ("没有患者编号为 {patient_id} 的患者", "there is no patient {patient_id}"),
    "log.nothing_due": ("患者 {patient_id} 在 {date} 的清单上没有任务",
                        "patient {patient_id} has no task on the sheet of {date}"),
    "log.settled_today": ("患者 {patient_id} 今天的回访已由 {by} 在 {at} 登记，清单上没有剩下的任务",
                          "patient {patient_id}'s calls for the day were already logged by {by} "
                          "at {at}; nothing left to log"),
    "log.bad_outcome": ("未知的通话结果 {value}；可选：{choices}",
                        "unknown outcome {value}; one of: {choices}"),
    "agent.bad_name": ("回访专员的名字需要是可见的文字，最多 {max} 个字，不含控制字符（--agent、FOLLOWUP_AGENT）",
                       "the agent's name must be visible text of at most {max} characters, "
                       "without control characters (--agent, FOLLOWUP_AGENT)"),
    "log.need_outcome": ("需要 --outcome（-o）：已接通、未接、占线、关机、空号、改约、拒访、勿扰、投诉",
                         "--outcome (-o) is required: reached, no_answer, busy, switched_off, "
                         "wrong_number, callback_requested, declined, do_not_call, complaint"),
    "clock.need_time": ("{option} {value}：请给出时间，如 {value} 19:30", "{option} {value}: give a time too, e.g. {value} 19:30"),
    "log.note_short": ("接通后需要至少 {min} 个字的回访记录（现在 {length} 个字；标点和空格不算）",
                       "a reached call needs a note of at least {min} characters (got {length}; "
                       "punctuation and spaces do not count)"),
    "log.need_at": ("改约需要 --at 回电时间（如 2026-11-23T15:00）",
                    "callback_requested needs --at, the time to call back (e.g. 2026-11-23T15:00)"),
    "log.at_past": ("--at {at} 早于通话时间 {when}",
                    "--at {at} is before the call itself ({when})"),
    "log.score_not_reached": ("只有接通的通话才能给满意度或 NPS 评分",
                              "satisfaction and NPS apply only to a call that reached the patient"),
    "log.satisfaction": ("满意度应为 1–5 的整数", "satisfaction must be a whole number 1–5"),
    "log.nps": ("NPS 应为 0–10 的整数", "NPS must be a whole number 0–10"),
    "log.datetime": ("{option} {value}：时间格式应为 2026-11-23T15:00 或 2026-11-23 15:00",
                     "{option} {value}: expected a time like 2026-11-23T15:00 or 2026-11-23 15:00"),
    "log.date": ("{option} {value}：日期格式应为 YYYY-MM-DD",
                 "{option} {value}: expected YYYY-MM-DD"),
    "log.do_not_call": ("患者 {patient_id} 已设为勿扰，不能再回访",
                        "patient {patient_id} is marked do-not-call"),
    "log.before_visit": ("任务 #{task_id} 的就诊在 {visit}，回访不能早于就诊（--when {day}）",
                         "task #{task_id} follows a visit on {visit}: a call on {day} cannot "
                         "come before it (--when)"),
    "log.logged": ("已登记通话 #{attempt_id}（{outcome}），涉及任务 {tasks}",
                   "logged call #{attempt_id} ({outcome}) for task(s) {tasks}"),
    "log.effect.done": ("任务已完成", "task(s) done"),
    "log.effect.retry": ("将在 {at} 再次拨打（第 {attempts}/{limit} 次未接通）",
                         "will retry at {at} (failed attempt {attempts} of {limit})"),
    "log.effect.unreachable": ("已 {limit} 次未接通，任务标记为“无法联系”，建议发送短信",
                               "{limit} failed attempts: task(s) unreachable; send an SMS instead"),
    "log.effect.callback": ("将在 {at} 按约回电", "will call back at {at} as asked"),
    "log.effect.do_not_call": ("患者已设为勿扰：取消了 {count} 个待办任务，以后不再安排回访",
                               "patient marked do-not-call: {count} pending task(s) cancelled, "
                               "none will be planned again"),
    "log.effect.wrong_number": ("号码标记为错误：该患者的任务暂离清单，待更新号码",
                                "number marked wrong: the patient's tasks leave the sheet until "
                                "a new number arrives"),
    "log.effect.complaint": ("已立投诉单 #{id}，任务已完成。24 小时内确认、48 小时内给出方案、"
                             "72 小时内处理完毕并结案：followup complaint show {id}",
                             "complaint case #{id} opened and the task done. Acknowledge within "
                             "24 h, a solution within 48 h, remedy and close within 72 h: "
                             "followup complaint show {id}"),
    "log.effect.amended": ("已更正通话 #{id}（更正记录 #{correction}，原记录保留）",
                           "call #{id} amended (correction #{correction}; the original stays)"),
    "log.effect.voided": ("已作废通话 #{id}（作废记录 #{correction}，原记录保留）",
                          "call #{id} voided (record #{correction}; the original stays)"),
    "log.amend_or_void": ("--amend/--void 只能单独使用，不能同时给出任务或患者",
                          "--amend or --void stands alone: no task, patient or the other one"),
    "log.need_reason": ("请用 --reason 说明原因", "give the reason with --reason"),
    "log.no_attempt": ("没有编号为 {id} 的通话记录（更正记录本身不能再更正）",
                       "there is no logged call {id} (a correction cannot itself be corrected)"),
    "log.voided": ("通话 #{id} 已作废", "call #{id} is already voided"),
    "log.outside_window": ("提示：{when} 不在回访时段内",
                           "note: {when} is outside every calling window"),
    # complaints
    "complaint.none": ("没有编号为 {id} 的投诉单", "there is no complaint case {id}"),
    "complaint.none_open": ("没有未结案的投诉", "no open complaint cases"),
    "complaint.title": ("未结案投诉 {count} 件（优先处理）", "Open complaints: {count} (first)"),
    "complaint.title_all": ("投诉单 {count} 件，其中未结案 {open} 件", "Complaint cases: {count}, {open} still open"),
    "complaint.action.ack": ("确认", "acknowledge"),
    "complaint.action.resolve": ("给出方案", "resolve"),
    "complaint.action.close": ("结案", "close"),
    "complaint.action.reopen": ("重开", "reopen"),
    "complaint.bad_step": ("投诉单 #{id} 当前为“{status}”，不能{action}",
                           "complaint #{id} is {status}: cannot {action} it"),
    "complaint.need_note": ("请用 --note 写明处理情况", "say what was done with --note"),
    "complaint.before_open": ("{at} 早于投诉单开立时间 {opened}",
                              "{at} is before the case was opened ({opened})"),
    "complaint.breached": ("已超时", "BREACHED"),
    "complaint.breached_note": ("注意：该投诉单有时限已超时", "note: a deadline of this case was "
                                "broken"),
    "complaint.col.id": ("单号", "Case"),
    "complaint.col.patient": ("患者", "Patient"),
    "complaint.col.status": ("状态", "Status"),
    "complaint.col.category": ("类别", "Category"),
    "complaint.col.next": ("下一步", "Next step"),
    "complaint.col.left": ("剩余时间", "Time left"),
    "complaint.col.due": ("期限", "Due"),
    "complaint.col.at": ("时间", "At"),
    "complaint.col.action": ("操作", "Action"),
    "complaint.col.note": ("说明", "Note"),
    "complaint.status.open": ("待确认", "open"),
    "complaint.status.acknowledged": ("已确认", "acknowledged"),
    "complaint.status.resolved": ("已给方案", "resolved"),
    "complaint.status.closed": ("已结案", "closed"),
    "complaint.status.void": ("已作废", "void"),
    "complaint.step.acknowledge": ("确认", "acknowledge"),
    "complaint.step.resolve": ("给出方案", "solution"),
    "complaint.step.close": ("结案", "close"),
    "complaint.state.met": ("按时", "met"),
    "complaint.state.broken": ("超时完成", "broken"),
    "complaint.state.pending": ("进行中", "pending"),
    "complaint.state.overdue": ("已超时未完成", "overdue"),
    "complaint.category.service": ("服务", "service"),
    "complaint.category.result": ("效果", "result"),
    "complaint.category.attitude": ("态度", "attitude"),
    "complaint.category.price": ("价格", "price"),
    "complaint.category.safety": ("安全", "safety"),
    "complaint.category.environment": ("环境", "environment"),
    "complaint.category.other": ("其他", "other"),
    "complaint.severity.low": ("一般", "low"),
    "complaint.severity.medium": ("较重", "medium"),
    "complaint.severity.high": ("严重", "high"),
    "complaint.done.ack": ("投诉单 #{id} 已确认", "complaint #{id} acknowledged"),
    "complaint.done.resolve": ("投诉单 #{id} 已记录解决方案", "complaint #{id}: solution recorded"),
    "complaint.done.close": ("投诉单 #{id} 已结案，已安排结案后第 2 天和 1 个月的回访",
                             "complaint #{id} closed; follow-up calls planned at 2 days and "
                             "1 month"),
    "complaint.done.reopen": ("投诉单 #{id} 已重新打开", "complaint #{id} reopened"),
    # patients
    "patient.col.when": ("时间", "When"),
    "patient.col.what": ("事项", "What"),
    "patient.col.detail": ("详情", "Detail"),
    "patient.col.phone": ("电话", "Phone"),
    "patient.col.reported": ("报错时间", "Reported"),
    "patient.col.waiting": ("待回访", "Calls waiting"),
    "patient.visit": ("就诊", "visit"),
    "patient.task": ("回访任务", "task"),
    "patient.call": ("通话", "call"),
    "patient.amend": ("更正", "amendment"),
    "patient.void": ("作废", "void"),
    "patient.complaint": ("投诉", "complaint"),
    "patient.converted": ("已转化（{visit}）", "converted by {visit}"),
    "patient.backfill": ("导入前已过期的回访 {count} 个（补录，不计入统计）",
                         "{count} calls already past when the visit came in (backfill, left out of the figures)"),
    "patient.flag.do_not_call": ("【勿扰】", "[do not call]"),
    "patient.flag.phone_bad": ("【号码错误】", "[wrong number]"),
    "patient.event.allow_calls": ("撤销勿扰", "calls allowed again"),
    "patient.event.phone_changed": ("更新号码", "phone changed"),
    "patient.event.do_not_call": ("设为勿扰", "do not call"),
    "patient.event.wrong_number": ("号码错误", "wrong number"),
    "patient.phone_set": ("患者 {patient_id} 的号码已更新", "patient {patient_id}: phone updated"),
    "patient.allowed": ("患者 {patient_id} 已撤销勿扰，恢复 {count} 个回访任务",
                        "patient {patient_id} may be called again; {count} task(s) reopened"),
    "patient.not_dnc": ("患者 {patient_id} 没有勿扰标记", "patient {patient_id} is not "
                        "marked do-not-call"),
    "patient.bad_phones": ("待更正号码：{count} 位患者", "Numbers to fix: {count} patients"),
    "kind.treated": ("成交", "treated"),
    "kind.consult": ("咨询未成交", "consult"),
    "kind.no_show": ("未到诊", "no-show"),
    "kind.course_end": ("疗程结束", "course end"),
    "patient.need_id": ("需要患者编号（不能为空）", "a patient id is needed (not empty)"),
    "reason.converted": ("已成交", "converted"),
    "reason.do_not_call": ("患者勿扰", "do not call"),
    "reason.reopened": ("投诉重开", "complaint reopened"),
    "reason.replanned": ("已改期", "replanned"),
    "reason.failed_attempts": ("多次未接通", "calls failed"),
    "state.planned": ("待到期", "planned"),
    "state.due": ("待回访", "due"),
    "state.missed": ("漏访", "missed"),
    "state.done": ("已完成", "done"),
    "state.unreachable": ("无法联系", "unreachable"),
    "state.cancelled": ("已取消", "cancelled"),
    "state.backfill": ("补录", "backfill"),
    # scripts
    "script.open": ("开场与核对身份", "Opening and identity check"),
    "script.ask": ("询问", "Ask"),
    "script.worries": ("常见担心的解答", "If they are worried"),
    "script.close": ("结束语", "Closing"),
    "script.no_project": ("本次项目", "your treatment"),
    "script.no_doctor": ("主治医生", "your doctor"),
    "script.no_next": ("下次复查时", "your next check"),
    "script.clinic": ("本院", "our clinic"),
    "script.missing": ("{path}：以下回访节点没有话术：{touchpoints}",
                       "{path}: these touchpoints have no script: {touchpoints}"),
    "script.ok": ("{path}：话术有效，覆盖 {count} 个回访节点",
                  "{path}: valid scripts for {count} touchpoints"),
    "audit.title": ("完整号码调阅记录", "Full phone numbers shown"),
    "audit.col.action": ("操作", "Command"),
    "audit.col.what": ("患者（人数：编号）", "Patients (count: ids)"),
    "assign.agents": ("请用 --agents 给出值班专员，如 --agents 王芳,李娜,张伟（不重复）",
                      "give the agents on shift with --agents, e.g. --agents 王芳,李娜,张伟 "
                      "(no repeats)"),
    "assign.need_to": ("--move 需要 --to 专员", "--move needs --to AGENT"),
    "assign.not_on_shift": ("{agent} 不在 {day} 的班上（在班：{shift}）：先用 followup assign --agents 把 {agent} 排进当天的分工",
                            "{agent} is not on shift on {day} (on shift: {shift}): share the "
                            "sheet with followup assign --agents including {agent} first"),
    "assign.moved": ("{date}：患者 {patient_id} 已分给 {agent}",
                     "{date}: patient {patient_id} moved to {agent}"),
    "assign.title": ("{date} 分配结果", "Shares for {date}"),
    "assign.col.patients": ("患者（通话）", "Patients (calls)"),
    "print.no_output_for_table": ("--output 用于 json、csv、html 和 xlsx 格式；表格只显示在终端",
                                  "--output is for json, csv, html and xlsx; a table is shown "
                                  "on the terminal"),
    "print.need_output": ("--format {fmt} 需要 --output 文件",
                          "--format {fmt} needs --output FILE"),
    "print.written": ("已写入 {path}（仅本人可读）", "written to {path} (readable by you only)"),
    "print.note": ("回访记录：", "Note:"),
    # the printed sheet (sheet)
    "print.window": ("{window}（{hours}）", "{window} ({hours})"),
    "print.overdue": ("逾期 {days} 天", "{days} d overdue"),
    "xlsx.task_id": ("任务号", "Task"),
    "xlsx.patient_id": ("客户编号", "Patient ID"),
    "xlsx.name": ("姓名", "Name"),
    "xlsx.phone": ("电话", "Phone"),
    "xlsx.category": ("类别", "Category"),
    "xlsx.touchpoint": ("节点", "Touchpoint"),
    "xlsx.purpose": ("回访事由", "Why call"),
    "xlsx.due_date": ("应回访日", "Due"),
    "xlsx.window": ("时段", "Window"),
    "xlsx.overdue_days": ("逾期天数", "Days overdue"),
    "xlsx.attempts": ("已拨次数", "Tries"),
    "xlsx.provisional": ("暂定", "Provisional"),
    "xlsx.project": ("项目", "Project"),
    "xlsx.doctor": ("医生", "Doctor"),
    "xlsx.consultant": ("咨询师", "Consultant"),
    "xlsx.vip_tier": ("会员等级", "VIP tier"),
    "xlsx.outcome": ("结果", "Outcome"),
    "xlsx.call_at": ("回电时间", "Call at"),
    "xlsx.visit_date": ("就诊日期", "Visit date"),
    "xlsx.yes": ("是", "yes"),
    "backup.done": ("已备份到 {path}（仅本人可读）", "backed up to {path} (readable by you only)"),
    "doctor.complaints_disagreeing_with_history": ("状态与其处理记录不符的投诉单", "complaint cases whose status is not what their history says"),
    "doctor.patients_disagreeing_with_events": ("“勿扰/错号”标记与其记录不符的患者", "patients whose do-not-call or wrong-number flag is not what their events say"),
    "doctor.word.missing": ("缺失", "missing"),
    "doctor.word.altered": ("被改动", "altered"),
    "doctor.word.unexpected": ("多出来的", "not followup's"),
    "doctor.word.changed": ("内容被改动", "changed"),
    "doctor.word.unchained": ("不在哈希链中", "not in the chain"),
    "doctor.row_problem": ("第 {row} 行{problem}", "row {row} {problem}"),
    "doctor.ok": ("台账正常：{patients} 位患者，{visits} 次就诊，{tasks} 个任务，{attempts} 条通话记录，{complaints} 张投诉单",
                  "the ledger is sound: {patients} patients, {visits} visits, {tasks} tasks, "
                  "{attempts} logged calls, {complaints} complaint cases"),
    "doctor.bad": ("台账有问题（{patients} 位患者，{visits} 次就诊，{tasks} 个任务，{attempts} 条通话记录，{complaints} 张投诉单）：",
                   "the ledger has problems ({patients} patients, {visits} visits, {tasks} "
                   "tasks, {attempts} logged calls, {complaints} complaint cases):"),
    "doctor.integrity": ("完整性检查失败", "integrity check failed"),
    "doctor.foreign_keys": ("外键不一致", "foreign keys broken"),
    "doctor.orphan_tasks": ("找不到所属就诊的任务", "tasks with no visit"),
    "doctor.tasks_disagreeing_with_calls": ("状态与通话记录不符的任务", "tasks whose state disagrees with their calls"),
    # doctor: tampering, mixed-up patients and damage (hardening)
    "doctor.chains": ("通话/事件/审计记录被改动（每本记录第一处）",
                      "calls, events or audit rows changed behind followup's back (the first "
                      "row of each log)"),
    "doctor.triggers": ("保护记录的触发器缺失或被改动", "the triggers that protect the logs "
                        "are missing or altered"),
    "doctor.tasks_of_another_patient": ("任务的患者与其就诊的患者不同",
                                        "tasks whose patient is not their visit's patient"),
    "doctor.unreadable": ("无法读取（台账损坏）", "could not be read (the ledger is damaged)"),
    "report.about.fingerprint": ("记录指纹", "Fingerprint of the logs"),
    "doctor.anchor": ("记录指纹：{anchor}（请另行保存，例如随月报存档；日后用 followup doctor --anchor 指纹 可查出此前的记录是否被改写）",
                      "fingerprint of the logs: {anchor} (keep it elsewhere, e.g. with the "
                      "month's report; followup doctor --anchor FINGERPRINT later shows whether "
                      "anything before it was rewritten)"),
    "doctor.bad_anchor": ("--anchor {anchor}：不是 followup doctor 给出的指纹", "--anchor {anchor}: not a fingerprint followup doctor gave"),
    "doctor.anchors": ("此前保存的指纹对不上（其之前的记录被改写过）", "fingerprints noted earlier that no longer hold (the logs before them were rewritten)"),
    "doctor.notices": ("提示：{provisional_open_tasks} 个暂定日期的任务；{phones_to_fix} 个待更正号码",
                       "notices: {provisional_open_tasks} open task(s) on provisional dates; "
                       "{phones_to_fix} number(s) to fix"),
    # report
    "report.bad_month": ("--month {value}：格式应为 YYYY-MM", "--month {value}: expected YYYY-MM"),
    "report.title": ("{month} 回访月报", "Callback report {month}"),
    "report.col.figure": ("指标", "Figure"),
    "report.col.value": ("本月", "This month"),
    "report.col.previous": ("上月", "Last month"),
    "report.col.change": ("变化", "Change"),
    "report.col.agent": ("回访专员", "Agent"),
    "report.col.category": ("类别", "Category"),
    "report.by_agent": ("按回访专员", "By agent"),
    "report.by_category": ("按类别", "By category"),
    "report.satisfaction": ("满意度分布", "Satisfaction"),
    "figure.due": ("应回访", "Due"),
    "figure.done": ("已完成", "Done"),
    "figure.on_time": ("按时完成", "On time"),
    "figure.completion_rate": ("完成率", "Completion rate"),
    "figure.on_time_rate": ("及时率", "On-time rate"),
    "figure.missed": ("漏访", "Missed"),
    "figure.unreachable": ("无法联系", "Unreachable"),
    "figure.attempts": ("拨打次数", "Calls"),
    "figure.reached": ("接通", "Reached"),
    "figure.reach_rate": ("接通率", "Reach rate"),
    "figure.satisfaction_mean": ("平均满意度", "Satisfaction (mean)"),
    "figure.nps": ("NPS", "NPS"),
    "figure.complaints_opened": ("新增投诉", "Complaints opened"),
    "figure.complaints_closed": ("结案投诉", "Complaints closed"),
    "figure.conversions": ("咨询转化", "Consult conversions"),
    "figure.conversion_rate": ("咨询转化率", "Conversion rate"),
    "figure.notes_short": ("记录过短", "Notes too short"),
    "figure.late_plans": ("计划晚建", "Plans made late"),
    "report.col.project": ("项目", "Project"),
    "report.chart.agents": ("各专员完成率与接通率", "Completion and reach by agent"),
    "report.chart.complaints": ("投诉处理时限", "Complaints against their deadlines"),
    "report.chart.trend": ("近 6 个月趋势", "The last 6 months"),
    "report.see_explain": ("各项指标的计算方法见 followup report --explain；每个数字都可以用 followup patient 追溯到具体患者。",
                           "How each figure is computed: followup report --explain. Every number "
                           "can be traced to patients with followup patient."),
    "report.col.branch": ("分院", "Branch"),
    "report.by_branch": ("按分院", "By branch"),
    "report.col.doctor": ("医生", "Doctor"),
    "report.col.consultant": ("咨询师", "Consultant"),
    "report.by_project": ("按项目", "By project"),
    "report.by_doctor": ("按医生", "By doctor"),
    "report.by_consultant": ("按咨询师", "By consultant"),
    "report.title_agent": ("{title}（回访专员：{agent}）", "{title} (agent: {agent})"),
    "report.title_category": ("{title}（类别：{category}）", "{title} (category: {category})"),
    "report.nobody": ("（无人拨打）", "(not called by anyone)"),
    "report.period_title": ("{start} 至 {end} 回访报告", "Callback report {start} to {end}"),
    "report.need_period": ("请给出 --month YYYY-MM，或 --from 和 --to",
                           "give --month YYYY-MM, or --from and --to"),
    "report.bad_period": ("--to 早于 --from", "--to is before --from"),
    # report files (html, xlsx): the title block, the charts, the workbook's sheets
    "report.no_cjk_font": ("图表里的中文无法显示（本机没有中文字体，会显示为方框）。请安装中文字体后重新生成："
                           "Debian/Ubuntu 运行 apt install fonts-noto-cjk；Windows 和 macOS 已自带",
                           "the charts' Chinese text cannot be drawn (no Chinese font on this "
                           "machine: it shows as boxes). Install one and make the report again: "
                           "Debian/Ubuntu: apt install fonts-noto-cjk; Windows and macOS have one"),
    "report.points": ("{value} 个百分点", "{value} pt"),
    "report.col.this_period": ("本期", "This period"),
    "report.col.previous_period": ("上期", "Previous period"),
    "report.col.score": ("评分", "Score"),
    "report.col.count": ("人次", "Answers"),
    "report.col.step": ("时限", "Deadline"),
    "report.col.month": ("月份", "Month"),
    "report.about.clinic": ("机构", "Clinic"),
    "report.about.period": ("统计期间", "Period"),
    "report.about.range": ("{start} 至 {end}", "{start} to {end}"),
    "report.about.as_of": ("数据截至", "As of"),
    "report.about.compared": ("对比期间", "Compared with"),
    "report.about.all": ("全部", "all"),
    "report.headline": ("主要指标", "Headline figures"),
    "report.charts": ("图表", "Charts"),
    "report.no_complaints": ("本期没有新增投诉。", "No complaints were opened in the period."),
    "report.made_by": ("由 followup {version} 生成（followup report），数据截至 {day}。",
                       "Made by followup {version} (followup report) with data as of {day}."),
    "report.yes": ("是", "yes"),
    "report.no": ("否", "no"),
    "report.sheet.summary": ("概要", "Summary"),
    "report.sheet.complaints": ("投诉时限", "Complaint deadlines"),
    "report.sheet.trend": ("趋势", "Trend"),
    "explain.title": ("各项指标的计算方法", "How each figure is computed"),
    "explain.due": ("应回访：报告期内（截至今天）到期的回访任务数；补录和已取消（转化、勿扰、投诉重开）的不计。",
                    "Due: callback tasks whose due day falls in the period, up to today; "
                    "backfill and cancelled tasks (converted, do-not-call, reopened complaint) "
                    "are left out."),
    "explain.done": ("已完成：上述任务中已完成的（接通、拒访、投诉都算完成）。",
                     "Done: those tasks that were completed (reached, declined or complaint)."),
    "explain.on_time": ("按时完成：在到期日当天或之前完成的。", "On time: done on or before the due day."),
    "explain.completion_rate": ("完成率 = 已完成 ÷ 应回访。", "Completion rate = done ÷ due."),
    "explain.on_time_rate": ("及时率 = 按时完成 ÷ 应回访。", "On-time rate = on time ÷ due."),
    "explain.missed": ("漏访：未完成且已过期的任务（同一次就诊的下一个节点到期，或逾期超过 7 天）。",
                       "Missed: not done and past expiry (the next touchpoint of the same visit "
                       "became due, or 7 days overdue)."),
    "explain.unreachable": ("无法联系：连续 3 次未接通（未接、占线、关机）的任务。",
                            "Unreachable: tasks with 3 failed calls (no answer, busy, switched "
                            "off)."),
    "explain.attempts": ("拨打次数：报告期内拨出的电话（按通话时间），作废的不计，更正以最新为准。",
                         "Calls: calls made in the period (by call time); voided calls left out, "
                         "amended calls as amended."),
    "explain.reached": ("接通：有人接听的电话（已接通、拒访、改约、勿扰、投诉）。",
                        "Reached: calls someone answered (reached, declined, callback "
                        "requested, do-not-call, complaint)."),
    "explain.reach_rate": ("接通率 = 接通 ÷ 拨打次数。", "Reach rate = reached ÷ calls."),
    "explain.satisfaction_mean": ("平均满意度：报告期内打出的 1–5 分的平均值。",
                                  "Satisfaction: the mean of the 1–5 scores given in the period."),
    "explain.nps": ("NPS = 9–10 分人数占比 − 0–6 分人数占比（×100，范围 −100 到 100）。",
                    "NPS = % of 9–10 answers minus % of 0–6 answers (−100 to 100)."),
    "explain.complaints_opened": ("新增投诉：报告期内开立的投诉单（作废的不计）。",
                                  "Complaints opened: cases opened in the period (void ones "
                                  "left out)."),
    "explain.complaints_closed": ("结案投诉：报告期内有结案记录的投诉单（之后重开的也算）。",
                                  "Complaints closed: cases with a close in the period (even if "
                                  "reopened since)."),
    "explain.conversions": ("咨询转化：咨询未成交的就诊，在一次接通的回访后 30 天内成交，且成交日在报告期内；计入该回访专员。",
                            "Conversions: consult visits converted in the period by a treated "
                            "visit within 30 days after a reached callback; credited to that "
                            "call's agent."),
    "explain.conversion_rate": ("咨询转化率 = 咨询转化 ÷ 报告期内接通过回访的咨询就诊数。",
                                "Conversion rate = conversions ÷ consult visits with a reached "
                                "callback in the period."),
    "explain.notes_short": ("记录过短：已接通但回访记录少于最低字数（默认 20 字，汉字、字母、数字每个算 1，标点和空格不算）。",
                            "Notes too short: reached calls whose note is under the minimum "
                            "(20 characters by default: a Chinese character, letter or digit "
                            "counts as one; punctuation and spaces do not)."),
    "explain.late_plans": ("计划晚建：报告期内的就诊，在就诊后超过 1 天才录入台账（制度要求治疗当天就有回访计划）。",
                           "Plans made late: visits of the period that entered the ledger more "
                           "than a day after the visit (the plan should exist on the day)."),
    "explain.satisfaction_distribution": ("满意度分布：1–5 各分值的人数。",
                                          "Satisfaction distribution: how many gave each score "
                                          "1–5."),
    "explain.complaint_deadlines": ("投诉时限：报告期内开立的投诉单，24 小时确认、48 小时给方案、72 小时结案，各自按时/超时完成/进行中/超时未完成。",
                                    "Complaint deadlines: for cases opened in the period, "
                                    "acknowledge in 24 h, solution in 48 h, close in 72 h: each "
                                    "met, broken, pending or overdue."),
    "explain.complaints_open_at_month_end": ("期末未结案：报告期结束时仍未结案的投诉单。",
                                             "Open at the end: cases not closed when the "
                                             "period ended."),
    "explain.breakdowns": ("分项：按回访专员（最后拨打的人）、类别、项目、医生、咨询师分别计算同样的指标。",
                           "Breakdowns: the same figures per agent (who last called), category, "
                           "project, doctor and consultant."),
    "explain.change": ("变化：与上一个月（或之前同样天数）相比。",
                       "Change: against the month (or the same number of days) before."),
    "calendar.unknown": ("{year} 年的法定节假日安排未知：按普通周末显示。"
                         "安排公布后写入 calendar.toml 的 [years.{year}]",
                         "the public holidays of {year} are not known: shown with ordinary "
                         "weekends. When published, add them to calendar.toml as [years.{year}]"),
    "calendar.title": ("{year} 年回访日历", "Calling days {year}"),
    "calendar.legend": ("休 = 法定休息日　班 = 调休上班日（可回访）　"
                        "停 = 诊所停诊　末 = 周末不回访",
                        "R = statutory rest day   W = make-up working day (calling day)   "
                        "C = clinic closed   - = weekend off"),
    "calendar.windows": ("回访时段：夏季 {summer}；冬季 {winter}",
                         "Calling windows: summer {summer}; winter {winter}"),
    "calendar.default_in_use": ("没有诊所日历文件（{path}）：使用默认日历（法定节假日，周末照常回访）",
                                "no clinic calendar file ({path}): the default calendar is in "
                                "use (public holidays; weekends are calling days)"),
    "calendar.ok": ("{path}：有效。停诊日 {closed} 天；自定义年份 {years}；周末回访：{weekends}",
                    "{path}: valid. {closed} closure day(s); years given: {years}; weekends "
                    "are calling days: {weekends}"),
    "calendar.yes": ("是", "yes"),
    "calendar.no": ("否", "no"),
    "calendar.moved": ("{count} 个未完成的回访改了日期", "{count} open call(s) moved"),
    "calendar.col.old": ("原日期", "Was"),
    "calendar.col.new": ("新日期", "Now"),
    # generic
    "error.internal": ("内部错误（{kind}）。台账未被改动到一半；请把这条信息报告给维护者",
                       "internal error ({kind}). The ledger is not half-written; please report "
                       "this to the maintainers"),
    "error.time": ("{option} {value}：时间格式应为 HH:MM", "{option} {value}: expected HH:MM"),
    "error.bad_choice": ("{option} {value}：可选 {choices}", "{option} {value}: one of {choices}"),
    # input validation: values that cannot be real (dates, times, sizes, counts, ledgers)
    "error.empty_value": ("{option} 不能为空：请给出值，或不用这个选项",
                          "{option} is empty: give a value or leave the option out"),
    "clock.bad_tz": ("FOLLOWUP_TZ={name}：未知的时区（例如 Asia/Shanghai）",
                     "FOLLOWUP_TZ={name}: unknown time zone (e.g. Asia/Shanghai)"),
    "clock.future": ("{option} {value} 晚于现在（{now}）：只能登记已经发生的事",
                     "{option} {value} is in the future (now {now}): only what has happened "
                     "can be recorded"),
    "clock.year_range": ("{option} {value}：年份应在 {first} 到 {last} 之间",
                         "{option} {value}: the year must be {first} to {last}"),
    "file.too_large": ("{path}：文件超过 {limit}，不是设置文件",
                       "{path}: larger than {limit}, not a settings file"),
    "assign.too_many": ("--agents：一个班最多 {limit} 位专员（现在 {count} 位）",
                        "--agents: at most {limit} agents on a shift ({count} given)"),
    "report.copies": ("{first} 和 {second} 是同一个台账的副本（如备份）：每个分院只能给一次 --db",
                      "{first} and {second} are copies of one ledger (a backup?): give each "
                      "branch's --db once"),
    "report.same_ledger": ("{first} 和 {second} 是同一个台账：每个分院只能给一次 --db",
                           "{first} and {second} are the same ledger: give each branch's "
                           "--db once"),
    # issue 21 (h21): accounts and the web workspace (followup user, followup serve)
    "user.bad_name": ("用户名不能含空格", "a user's name has no spaces"),
    "user.bad_password": ("密码需 {min} 到 {max} 个字符", "a password has {min} to {max} characters"),
    "user.unknown": ("没有账号 {name}（followup user list 列出全部账号）",
                     "no user {name} (followup user list shows them)"),
    "user.exists": ("账号 {name} 已存在（改密码用 followup user passwd）",
                    "user {name} exists already (followup user passwd changes a password)"),
    "user.need_password": ("没有终端可以输入密码：请用 --password-stdin 从标准输入提供",
                           "no terminal to type the password in: give it on standard input "
                           "with --password-stdin"),
    "user.prompt_password": ("密码：", "Password: "),
    "user.prompt_again": ("再输入一次：", "Again: "),
    "user.passwords_differ": ("两次输入的密码不一致，未作改动",
                              "the two passwords differ; nothing changed"),
    "user.added": ("已添加账号 {name}（{role}）", "user {name} added ({role})"),
    "user.password_set": ("已修改 {name} 的密码；其已登录的会话已退出",
                          "{name}'s password is set; their sessions are ended"),
    "user.disabled_now": ("已停用账号 {name}，其会话已退出；通话记录保留",
                          "user {name} disabled and signed out; their calls stay"),
    "user.disabled": ("已停用", "disabled"),
    "user.title": ("账号（{count} 个）", "Users ({count})"),
    "user.col.name": ("用户名", "User"),
    "user.col.role": ("角色", "Role"),
    "user.col.state": ("状态", "State"),
    "user.col.last_seen": ("最近使用", "Last seen"),
    "serve.cert_and_key": ("--cert 和 --key 需要一起给出", "--cert and --key go together"),
    "serve.no_users": ("还没有账号，无人能登录：先用 followup user add 名字 --role supervisor 添加",
                       "no users yet, so nobody can sign in: add one first with followup user "
                       "add NAME --role supervisor"),
    "serve.open_to_network": ("注意：工作台对诊所网络开放（0.0.0.0）。请只在可信的内网使用，最好配合 --cert/--key",
                              "warning: the workspace is open to the clinic's network (0.0.0.0). "
                              "Use it on a trusted network only, best with --cert/--key"),
    "serve.listening": ("工作台已启动：{url}（Ctrl+C 停止）", "workspace running at {url} (Ctrl+C stops it)"),
    "web.internal": ("内部错误，操作未完成；台账没有被改动到一半",
                     "internal error: nothing was done, the ledger is not half-written"),
    "web.cross_site": ("拒绝：请求来自其他网站", "refused: the request came from another site"),
    "web.bad_body": ("请求内容无法读取（过大或格式不对）",
                     "the request's content cannot be read (too large or malformed)"),
    "web.sign_in_first": ("请先登录", "sign in first"),
    "web.supervisors_only": ("只有主管可以这样做", "only a supervisor can do this"),
    "web.bad_csrf": ("页面已过期或来源不明（缺少校验码）：请刷新页面后重试",
                     "the page is stale or not ours (no valid CSRF token): reload it and try again"),
    "web.throttled": ("登录失败次数过多：请 {minutes} 分钟后再试",
                      "too many failed sign-ins: try again in {minutes} minute(s)"),
    "web.bad_login": ("用户名或密码不正确", "wrong user name or password"),
    "web.unknown_field": ("未知字段 {field}", "unknown field {field}"),
    "web.not_a_number": ("{field} 应为整数", "{field} must be a whole number"),
    "web.not_text": ("{field} 应为文本", "{field} must be text"),
    "web.need_patient_agent": ("需要 patient_id 和 agent", "patient_id and agent are needed"),
    "web.saved": ("已登记通话 #{id}：{outcome}", "call #{id} logged: {outcome}"),
    "web.title": ("回访工作台", "Callback workspace"),
    "web.board": ("看板", "Board"),
    "web.sheet": ("回访清单", "Call sheet"),
    "web.sign_out": ("退出", "Sign out"),
    "web.sign_in": ("登录", "Sign in"),
    "web.username": ("用户名", "User name"),
    "web.password": ("密码", "Password"),
    "web.back": ("返回", "Back"),
    "web.day_title": ("{date} 我的回访：{patients} 位患者", "My calls on {date}: {patients} patients"),
    "web.done_today": ("今天已拨打 {count} 通", "{count} call(s) made today"),
    "web.open_cases": ("未结投诉单", "Open complaint cases"),
    "web.col.patient_id": ("患者编号", "Patient"),
    "web.col.category": ("类别", "Category"),
    "web.col.severity": ("严重程度", "Severity"),
    "web.col.next_due": ("下一时限", "Next deadline"),
    "web.col.when": ("约定时间", "Call at"),
    "web.nothing_due": ("今天没有需要拨打的回访", "Nothing to call today"),
    "web.overdue_days": ("逾期 {days} 天", "{days} day(s) overdue"),
    "web.call": ("拨打", "Call"),
    "web.back_to_sheet": ("返回清单", "Back to the sheet"),
    "web.skip": ("下一位 (N)", "Next patient (N)"),
    "web.reveal": ("显示完整号码", "Show the full number"),
    "web.reveal_audited": ("（将记入调阅日志）", "(recorded in the audit log)"),
    "web.visit_line": ("就诊：{project}，{date}（{days} 天前），{doctor}",
                       "Visit: {project} on {date} ({days} days ago), {doctor}"),
    "web.also_settles": ("同时完成：{purpose}（任务 {task}）", "also settles: {purpose} (task {task})"),
    "web.note": ("通话记录", "Note"),
    "web.note_min": ("至少 {min} 个字（接通或投诉时）", "at least {min} characters (reached or complaint)"),
    "web.satisfaction": ("满意度 1–5", "Satisfaction 1–5"),
    "web.nps": ("推荐意愿 0–10", "Would recommend 0–10"),
    "web.callback_at": ("改约回电时间", "Call back at"),
    "web.complaint_category": ("投诉类别", "Complaint category"),
    "web.severity": ("投诉严重程度", "Complaint severity"),
    "web.shortcuts": ("快捷键：数字 1–9 选择结果并保存，N 下一位，Esc 离开输入框",
                      "Keys: 1–9 pick the outcome and save, N next patient, Esc leaves a box"),
    "web.last_calls": ("最近通话", "Last calls"),
    "web.board_title": ("{date} 看板", "Board, {date}"),
    "web.board_summary": ("今日清单 {patients} 位患者，未分配 {unassigned} 位；未结投诉 {complaints} 件",
                          "Today's sheet: {patients} patients, {unassigned} not shared out; "
                          "{complaints} complaint case(s) open"),
    "web.col.agent": ("专员", "Agent"),
    "web.col.calls": ("今日通话", "Calls today"),
    "web.col.reached": ("接通", "Reached"),
    "web.col.left": ("待拨患者", "Patients left"),
    "web.board_updated": ("更新于", "Updated at"),
    "serve.demo_refused": ("--demo 只用于演示台账（followup init --demo 生成的）：真实台账请用 followup user add 添加账号",
                           "--demo is for a demo ledger only (made by followup init --demo): on a "
                           "real ledger add users with followup user add"),
    "serve.demo_user": ("演示账号 {name}，密码 {password}", "demo sign-in {name}, password {password}"),
    "web.not_your_call": ("只能更正自己登记的通话（主管可更正任何通话）",
                          "you can correct your own calls only (a supervisor, anyone's)"),
    "web.correct": ("更正", "Correct"),
    "web.reason": ("原因（必填）", "Reason (required)"),
    "web.amend": ("改为以上结果/记录", "Amend to the above"),
    "web.void": ("作废这通电话", "Void this call"),
    "web.unchanged": ("（结果不变）", "(outcome unchanged)"),
    "web.shared": ("已分配今天的清单", "today's sheet is shared out"),
    "web.moved": ("已移交患者", "patient moved"),
    "web.stepped": ("投诉单已更新", "complaint case updated"),
    "web.share_title": ("分配今天的清单", "Share today's sheet"),
    "web.share_agents": ("值班专员（逗号分隔）", "Agents on shift (comma-separated)"),
    "web.share": ("分配", "Share"),
    "web.move_title": ("移交一位患者", "Move a patient"),
    "web.move": ("移交", "Move"),
    "web.col.left_time": ("剩余时间", "Time left"),
    "web.col.status": ("状态", "Status"),
    "web.col.action": ("处理", "Action"),
    "web.step_note": ("处理说明", "What was done"),
    "web.patients": ("患者查询", "Patients"),
    "web.search_hint": ("编号、姓名或手机尾号（至少 4 位）", "Id, name or the last digits of a phone (4 or more)"),
    "web.search": ("查询", "Search"),
    "web.none_found": ("没有找到", "Nobody found"),
    "web.report": ("月报", "Month report"),
    "web.report_title": ("{month} 月报", "Report for {month}"),
    "web.month": ("月份", "Month"),
    "web.show": ("显示", "Show"),
    "web.too_large": ("文件太大（上限 64 MB）", "the file is too large (64 MB at most)"),
    "web.upload_kind": ("{name}：只能导入 .csv 或 .xlsx 文件", "{name}: only .csv or .xlsx files can be imported"),
    "web.upload_none": ("请选择要导入的文件", "choose a file to import"),
    "web.upload_gone": ("上传的文件已过期或已导入：请重新上传", "the upload has expired or was imported already: upload it again"),
    "web.import": ("导入就诊", "Import visits"),
    "web.import_hint": ("先检查并预览（不写入），确认后再导入", "It is checked and previewed first (nothing written); then you confirm"),
    "web.check": ("检查", "Check"),
    "web.import_now": ("导入 {name}", "Import {name}"),
    "web.imported": ("已导入", "Imported"),
    "web.sheet_title": ("{date} 回访清单：{patients} 位患者", "Call sheet for {date}: {patients} patients"),
    "serve.cannot_listen": ("无法在 {address} 上启动：{reason}（端口被占用时换一个 --port）",
                            "cannot listen on {address}: {reason} (a port in use: choose another --port)"),
}
