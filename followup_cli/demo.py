"""A realistic synthetic clinic, generated relative to a given day: patients with Chinese
names, seven months of visits across every category of the default pack, and the calls a
callback team would have made, logged through the same code as `followup log`.

Everything here is invented: names from common characters, phone numbers at random.
"""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, TypeVar

from followup_cli import complaints
from followup_cli.calendar import ClinicCalendar
from followup_cli.calls import log_call
from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.importing import ImportSummary, Visit, write_visits
from followup_cli.importing.convert import derive_visit_id
from followup_cli.ledger import transaction
from followup_cli.rules import RulePack
from followup_cli.sheet import by_patient, due_tasks

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力婷晓雪琳欣怡佳梦"
    "晨雨思涵子轩浩宇一鸣诗琪雅婧嘉欣凯瑞博文俊豪梓萱若曦昕悦"
)
PROJECTS = {
    "surgery": ["双眼皮", "隆鼻", "吸脂", "隆胸", "面部提升", "眼袋去除", "开眼角"],
    "hair": ["植发", "毛发移植", "FUE植发", "发际线种植", "眉毛种植"],
    "medium": ["光子嫩肤", "热玛吉", "玻尿酸", "肉毒素", "水光针", "超声刀"],
    "low": ["基础护肤", "深层清洁", "补水护理"],
    "optometry": ["配镜", "验光配镜", "角膜塑形", "OK镜复配"],
    "obstetrics": ["顺产", "剖宫产", "产后修复"],
    "general": ["健康体检", "洗牙", "口腔检查", "中医调理"],
}
DEPARTMENTS = {
    "surgery": ("整形外科", ["吴医生", "郑医生", "王医生"]),
    "hair": ("植发中心", ["钱医生", "周医生"]),
    "medium": ("皮肤科", ["孙医生", "李医生", "赵医生"]),
    "low": ("皮肤科", ["孙医生", "李医生"]),
    "optometry": ("眼视光", ["卫医生", "蒋医生"]),
    "obstetrics": ("产科", ["沈医生", "韩医生"]),
    "general": ("综合门诊", ["许医生", "何医生"]),
}
CONSULTANTS = ["林咨询", "马咨询", "陈咨询", "黄咨询"]
AGENTS = ["王芳", "李娜", "张伟", "刘洋"]
TIERS = [(None, 15), ("普通", 58), ("水晶卡", 14), ("金卡", 9), ("钻石卡", 4)]
CATEGORY_MIX = [("surgery", 20), ("hair", 10), ("medium", 30), ("low", 14), ("optometry", 10),
                ("obstetrics", 8), ("general", 8)]
KIND_MIX = [("treated", 72), ("consult", 14), ("no_show", 7), ("course_end", 7)]
OUTCOME_MIX = [("reached", 720), ("no_answer", 120), ("busy", 40), ("switched_off", 30),
               ("callback_requested", 30), ("declined", 30), ("wrong_number", 2),
               ("do_not_call", 3), ("complaint", 5)]
NOTES = [
    "患者反馈恢复顺利，肿胀已明显消退，已提醒按时复查并注意饮食清淡。",
    "已告知换药时间与注意事项，患者表示清楚，对医生的操作很满意。",
    "患者询问疤痕护理方法，已说明使用祛疤产品的时间和方式，无其他不适。",
    "患者说有轻微淤青，已解释属正常现象，一般一到两周消退，请勿热敷。",
    "提醒拆线时间和到院路线，患者确认会按约前来，对前台服务也满意。",
    "患者对效果满意，愿意推荐朋友来院，询问了下一次疗程的时间安排。",
    "家属代接，转告患者恢复良好，已约好下周到院复查，并留下方便时段。",
    "患者表示目前不方便多说，简单确认无明显不适，已告知有问题随时来电。",
    "询问佩戴适应情况，患者说前两天有些头晕，现已适应，已提醒三个月复查。",
    "产后恢复情况良好，宝宝喂养正常，已提醒四十二天产后复查的时间。",
]
COMPLAINT_NOTES = [
    "患者认为术后肿胀消退太慢，担心效果不理想，要求主治医生尽快回电说明情况。",
    "患者反映到院复查时等候时间过长，前台态度冷淡，对服务流程不满意。",
    "患者对收费明细有疑问，认为部分项目事先没有说明清楚，要求给出解释。",
    "患者觉得两侧效果不对称，情绪较激动，希望尽快安排医生面诊评估。",
]


class DemoCounts(NamedTuple):
    patients: int
    visits: int
    attempts: int
    tasks: int = 0


T = TypeVar("T")


def _pick(rng: random.Random, weighted: Sequence[tuple[T, int]]) -> T:
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights)[0]


def _phone(rng: random.Random) -> str:
    return rng.choice(["13", "15", "17", "18", "19"]) + str(rng.randint(0, 9)) + \
        f"{rng.randint(0, 99_999_999):08d}"


def generate_visits(rng: random.Random, today: date, patients: int) -> dict[date, list[Visit]]:
    """Visits per day over the last seven months, today's included."""
    start = today - timedelta(days=212)
    days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
    by_day: dict[date, list[Visit]] = {d: [] for d in days}
    for n in range(patients):
        pid = f"D{n + 1:05d}"
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
        phone = _phone(rng)
        tier = _pick(rng, TIERS)
        birthday = (date(rng.randint(1960, 2006), 1, 1) + timedelta(days=rng.randint(0, 364))
                    if rng.random() < 0.7 else None)
        visit_day = rng.choice(days)
        kind = _pick(rng, KIND_MIX)
        category = _pick(rng, CATEGORY_MIX)
        if kind == "course_end":
            category = "medium"
        plans = [(visit_day, kind, category)]
        if kind == "consult" and rng.random() < 0.35:
            plans.append((visit_day + timedelta(days=rng.randint(4, 25)), "treated", category))
        elif rng.random() < 0.25:
            plans.append((visit_day + timedelta(days=rng.randint(20, 120)), "treated",
                          _pick(rng, CATEGORY_MIX)))
        for day, kind, category in plans:
            if day > today:
                continue
            project = rng.choice(PROJECTS[category])
            department, doctors = DEPARTMENTS[category]
            risk = "high" if category == "medium" and rng.random() < 0.05 else None
            clock = f"{rng.randint(9, 17):02d}:{rng.choice(('00', '15', '30', '45'))}"
            by_day[day].append(Visit(
                line=0, patient_id=pid, name=name, phone=phone, visit_date=day,
                visit_time=clock, project=project, kind=kind,
                visit_id=derive_visit_id(pid, day, clock, project), department=department,
                doctor=rng.choice(doctors), consultant=rng.choice(CONSULTANTS), risk=risk,
                birthday=birthday, vip_tier=tier, no_callback=rng.random() < 0.01,
            ))
    return by_day


def build_demo(conn: sqlite3.Connection, rules: RulePack, cal: ClinicCalendar, today: date,
               *, patients: int = 3000, seed: int = 2026) -> DemoCounts:
    """Fill an empty ledger day by day: each day's visits enter the ledger that day, and the
    team works that day's sheet, until yesterday. Today's sheet is left to the user."""
    rng = random.Random(seed)
    visits_in, attempts = 0, 0
    steps: dict[date, list[tuple[datetime, int, str]]] = {}
    with transaction(conn):
        for day, visits in sorted(generate_visits(rng, today, patients).items()):
            visits.sort(key=lambda v: v.visit_time or "")
            write_visits(conn, visits, rules, cal, day, ImportSummary())
            visits_in += len(visits)
            # today's steps are the user's to take: cases still in progress stay open
            for at, case_id, action in sorted(steps.pop(day, []) if day < today else []):
                complaints.act(conn, case_id, action, agent="客服主管", at=at,
                               note=STEP_NOTES[action], rules=rules, cal=cal)
            if day < today and cal.is_calling_day(day):
                attempts += _work_the_sheet(conn, rules, cal, day, rng)
                _schedule_complaints(conn, day, rng, steps)
    return DemoCounts(patients, visits_in, attempts)


def build_demo_ledger(path: str, rules: RulePack, cal: ClinicCalendar, today: date, *,
                      patients: int = 3000, force: bool = False) -> DemoCounts:
    """A demo ledger at `path`, built beside it and moved into place: a half-built demo
    is never seen. A ledger holding real visits is replaced only with `force`. The counts
    include the tasks planned."""
    from followup_cli.ledger import get_setting, open_ledger, set_setting

    if os.path.exists(path) and not force:
        conn = open_ledger(path)
        try:
            is_demo = get_setting(conn, "demo") is not None
            has_data = conn.execute("SELECT count(*) FROM visits").fetchone()[0] > 0
        finally:
            conn.close()
        if has_data and not is_demo:
            raise FollowupError(t("the ledger {path} already holds data; the demo goes only into "
                                  "an empty ledger (use another --db, or --force to replace "
                                  "it)", path=path))
    tmp = path + ".building"
    for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
        if os.path.lexists(leftover):
            os.unlink(leftover)
    conn = open_ledger(tmp, create_dirs=True)
    try:
        counts = build_demo(conn, rules, cal, today, patients=patients)
        set_setting(conn, "demo", today.isoformat())
        tasks = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for side in ("-wal", "-shm"):
        for stale in (path + side, tmp + side):
            if os.path.lexists(stale):
                os.unlink(stale)
    os.replace(tmp, path)
    return counts._replace(tasks=tasks)


STEP_NOTES = {
    "ack": "已致电患者致歉并确认诉求，约定由主治医生复诊评估。",
    "resolve": "医生复诊后给出处理方案：免费复查并加做一次护理，患者同意。",
    "close": "方案已执行完毕，患者表示认可，投诉结案。",
}


def _schedule_complaints(conn: sqlite3.Connection, day: date, rng: random.Random,
                         steps: dict[date, list[tuple[datetime, int, str]]]) -> None:
    """The supervisor works the day's new cases: mostly within the deadlines, not always."""
    for case_id, opened_at in conn.execute(
            "SELECT complaint_id, opened_at FROM complaints WHERE opened_at >= ? AND "
            "opened_at < ?", (day.isoformat(), (day + timedelta(days=1)).isoformat())):
        at = datetime.fromisoformat(opened_at)
        late = rng.random() < 0.15
        for action, hours in (("ack", (1, 30 if late else 20)), ("resolve", (2, 30)),
                              ("close", (2, 30))):
            at += timedelta(hours=rng.randint(*hours), minutes=rng.randint(0, 59))
            steps.setdefault(at.date(), []).append((at, case_id, action))


def _work_the_sheet(conn: sqlite3.Connection, rules: RulePack, cal: ClinicCalendar, day: date,
                    rng: random.Random) -> int:
    calls = 0
    windows = cal.windows(day)
    for tasks in by_patient(due_tasks(conn, day, rules)):
        if rng.random() < 0.06:
            continue  # a busy day: this one stays on the sheet, overdue tomorrow
        window = max((task["window"] for task in tasks), key=("any", "afternoon", "evening").index)
        start, end = windows["evening" if window == "evening" else "afternoon"]
        retry = min((task["next_try_at"] for task in tasks if task["next_try_at"]), default=None)
        begin = datetime.combine(day, start)
        if retry:
            begin = max(begin, datetime.fromisoformat(retry))
        span = (datetime.combine(day, end) - begin).total_seconds() // 60
        if span < 1:
            continue
        when = begin + timedelta(minutes=rng.randint(0, int(span)))
        outcome = str(_pick(rng, OUTCOME_MIX))
        at = None
        if outcome == "callback_requested":
            nxt, _ = cal.move(day + timedelta(days=rng.randint(1, 3)), "later")
            at = datetime.combine(nxt, time(rng.choice((14, 15, 19)), 30))
        scored = outcome in ("reached", "complaint")
        log_call(
            conn, cal, outcome=outcome, when=when, agent=rng.choice(AGENTS),
            patient_id=tasks[0]["patient_id"],
            note=(rng.choice(COMPLAINT_NOTES) if outcome == "complaint"
                  else rng.choice(NOTES) if outcome == "reached" else ""),
            satisfaction=_pick(rng, [(5, 50), (4, 30), (3, 12), (2, 5), (1, 3)])
            if scored and rng.random() < 0.9 else None,
            nps=_pick(rng, [(10, 30), (9, 25), (8, 20), (7, 10), (6, 8), (3, 7)])
            if scored and rng.random() < 0.7 else None,
            at=at, complaint_category=rng.choice(("service", "result", "attitude", "price")),
            severity=_pick(rng, [("low", 5), ("medium", 4), ("high", 1)]),
        )
        calls += 1
    return calls
