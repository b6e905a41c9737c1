"""The texts people read: notices, mails and the daily digest, in Vietnamese as officials write
them, with English beside. Names, never identifiers: the unit's name, the commune's and the
province's official names (``states.territory``), who must act in words ("Công an xã"), dates as
dd/mm/yyyy in Vietnam time. Pure: the caller looks the names up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from states import territory
from states.authority import Level
from states.calendar import local_date
from states.deadlines import LEVEL_WORDS
from states.lifecycle import Role, Step

# Who sits in a seat, as the word before the territory: "Công an" + " xã Tịnh Khê".
SEAT_WORDS: dict[Role, tuple[str, str]] = {
    Role.UNIT: ("Đại diện đơn vị", "the representative of"),
    Role.COMMUNE_REVIEWER: ("Ban Chỉ đạo", "the steering committee of"),
    Role.POLICE: ("Công an", "the police of"),
    Role.UBND: ("UBND", "the People's Committee of"),
    Role.PROVINCE_ADMIN: ("Ban Chỉ đạo", "the steering committee of"),
    Role.AUDITOR: ("Kiểm tra, giám sát", "the auditors of"),
}
# What the step's owner does: "chờ Công an xã thẩm định".
STEP_VERBS: dict[Step, tuple[str, str]] = {
    Step.SELF_ASSESS: ("tự đánh giá, chấm điểm", "self-assessment"),
    Step.REVIEW: ("xét duyệt", "review"),
    Step.VERIFY: ("thẩm định", "appraisal"),
    Step.DECIDE: ("ra quyết định công nhận", "decision"),
}
DIVISIONS_EN = {"xã": "commune", "phường": "ward", "đặc khu": "special zone"}


def day(moment: datetime) -> str:
    """dd/mm/yyyy of the moment's day in Vietnam."""
    return f"{local_date(moment):%d/%m/%Y}"


@dataclass(frozen=True)
class Text:
    subject_vi: str
    subject_en: str
    body_vi: str
    body_en: str

    def mail_subject(self) -> str:
        return f"[ANTT] {self.subject_vi}"

    def mail_body(self) -> str:
        """Vietnamese first, English beside (below), as one plain-text mail."""
        return f"{self.body_vi}\n\n---\n{self.body_en}\n"


def commune_words(code: int | None) -> tuple[str, str]:
    """('xã Tịnh Khê', 'Tịnh Khê commune') from the official name 'Xã Tịnh Khê'."""
    c = territory.commune(code) if code is not None else None
    if c is None:
        return (f"xã mã {code}", f"commune {code}")
    bare = c.name[len(c.division) + 1 :] if c.name.lower().startswith(c.division) else c.name
    return (f"{c.division} {bare}", f"{bare} {DIVISIONS_EN.get(c.division, c.division)}")


def province_words(code: int) -> tuple[str, str]:
    """('tỉnh Quảng Ngãi', 'Quảng Ngãi province'); a city keeps its own word."""
    p = territory.province(code)
    if p is None:
        return (f"tỉnh mã {code}", f"province {code}")
    if p.name.startswith("Thành phố "):
        bare = p.name[len("Thành phố ") :]
        return (f"thành phố {bare}", f"{bare} city")
    return (f"tỉnh {p.name}", f"{p.name} province")


def seat_words(
    role: Role,
    level: Level,
    province_code: int,
    commune_code: int | None,
    unit_name: str | None = None,
) -> tuple[str, str]:
    """('Công an xã Tịnh Khê', 'the police of Tịnh Khê commune')."""
    vi, en = SEAT_WORDS[role]
    if level is Level.UNIT:
        name = unit_name or "đơn vị"
        return (f"{vi} {name}", f"{en} {name}")
    place_vi, place_en = (
        commune_words(commune_code) if level is Level.COMMUNE else province_words(province_code)
    )
    return (f"{vi} {place_vi}", f"{en} {place_en}")


def owner_words(role: Role, level: Level, commune_code: int | None) -> tuple[str, str]:
    """Who must act, short, as officials say it: 'Công an xã', 'UBND tỉnh', 'đơn vị'."""
    if level is Level.UNIT:
        return ("đơn vị", "the unit")
    vi, en = SEAT_WORDS[role]
    if level is Level.COMMUNE:
        c = territory.commune(commune_code) if commune_code is not None else None
        division = c.division if c else "xã"
        return (f"{vi} {division}", f"{en.removesuffix(' of')} of the {DIVISIONS_EN[division]}")
    return (f"{vi} tỉnh", f"{en.removesuffix(' of')} of the province")


@dataclass(frozen=True)
class StepFacts:
    """What a message about one open step says, already named."""

    dossier_id: int
    unit_name: str
    province_code: int
    commune_code: int
    step: Step
    owner_role: Role
    owner_level: Level
    due_at: datetime | None


def step_line(facts: StepFacts, now: datetime) -> tuple[str, str]:
    """'Hồ sơ Thôn 1 (xã Tịnh Khê) chờ Công an xã thẩm định, quá hạn từ 12/11/2026'."""
    place_vi, place_en = commune_words(facts.commune_code)
    where_vi = "" if facts.unit_name.lower() == place_vi.lower() else f" ({place_vi})"
    where_en = "" if facts.unit_name.lower() == place_vi.lower() else f" ({place_en})"
    owner_vi, owner_en = owner_words(facts.owner_role, facts.owner_level, facts.commune_code)
    verb_vi, verb_en = STEP_VERBS[facts.step]
    vi = f"Hồ sơ {facts.unit_name}{where_vi} chờ {owner_vi} {verb_vi}"
    en = f"The dossier of {facts.unit_name}{where_en} awaits {verb_en} by {owner_en}"
    if facts.due_at is not None:
        if facts.due_at < now:
            vi += f", quá hạn từ {day(facts.due_at)}"
            en += f", overdue since {day(facts.due_at)}"
        else:
            vi += f", hạn {day(facts.due_at)}"
            en += f", due {day(facts.due_at)}"
    return vi, en


def step_message(
    facts: StepFacts,
    now: datetime,
    *,
    level: int | None,
    to: tuple[str, str],
) -> Text:
    """A newly opened step (``level`` None) or an escalation of ``level`` 1-3, addressed to the
    seat named by ``to``."""
    line_vi, line_en = step_line(facts, now)
    if level is None:
        head_vi, head_en = "Hồ sơ mới chờ xử lý", "New dossier to handle"
    else:
        head_vi, head_en = LEVEL_WORDS[level]
        head_en = head_en.capitalize()
    subject_vi, subject_en = f"{head_vi}: {line_vi}", f"{head_en}: {line_en}"
    commune_vi, commune_en = commune_words(facts.commune_code)
    province_vi, province_en = province_words(facts.province_code)
    due_vi = day(facts.due_at) if facts.due_at else "không có"
    due_en = day(facts.due_at) if facts.due_at else "none"
    body_vi = "\n".join(
        [
            f"Kính gửi: {to[0]}",
            "",
            f"{subject_vi}.",
            "",
            f"Đơn vị: {facts.unit_name}",
            f"Địa bàn: {commune_vi}, {province_vi}",
            f"Hạn xử lý: {due_vi}",
            f"Số hồ sơ: {facts.dossier_id}",
        ]
        + ([f"Mức nhắc: {head_vi} (mức {level}/3)"] if level else [])
    )
    body_en = "\n".join(
        [
            f"To: {to[1]}",
            "",
            f"{subject_en}.",
            "",
            f"Unit: {facts.unit_name}",
            f"Territory: {commune_en}, {province_en}",
            f"Due: {due_en}",
            f"Dossier number: {facts.dossier_id}",
        ]
        + ([f"Escalation: {head_en} (level {level} of 3)"] if level else [])
    )
    return Text(subject_vi, subject_en, body_vi, body_en)


def digest_message(to_name: str, items: list[StepFacts], now: datetime, *, more: int = 0) -> Text:
    """The daily digest: what waits for the user, the late ones first, each one line."""
    late = [f for f in items if f.due_at is not None and f.due_at < now]
    waiting = [f for f in items if f not in late]
    total = len(items) + more
    subject_vi = f"Bản tin ngày {day(now)}: {total} hồ sơ chờ xử lý, {len(late)} quá hạn"
    subject_en = f"Digest of {day(now)}: {total} dossiers waiting, {len(late)} overdue"
    lines_vi = [f"Kính gửi: {to_name}", "", f"{subject_vi}."]
    lines_en = [f"To: {to_name}", "", f"{subject_en}."]
    for title_vi, title_en, group in (
        ("Quá hạn", "Overdue", late),
        ("Đang chờ", "Waiting", waiting),
    ):
        if group:
            lines_vi += ["", f"{title_vi}:"] + [f"- {step_line(f, now)[0]}" for f in group]
            lines_en += ["", f"{title_en}:"] + [f"- {step_line(f, now)[1]}" for f in group]
    if more:
        lines_vi.append(f"… và {more} hồ sơ khác (xem hộp hồ sơ trên trang web)")
        lines_en.append(f"… and {more} more (see the inbox on the web page)")
    return Text(subject_vi, subject_en, "\n".join(lines_vi), "\n".join(lines_en))


def nobody_holds(seat: tuple[str, str]) -> str:
    return f"Không có người giữ vai trò {seat[0]} / nobody holds the seat of {seat[1]}"


NO_CHANNEL = (
    "Chưa cấu hình kênh gửi (SMTP_HOST, WEBHOOK_URL); chỉ có thông báo trong ứng dụng / "
    "no channel configured (SMTP_HOST, WEBHOOK_URL): only in-app notices were written"
)
NO_TARGET = "Thư không ghi người nhận / the message names no recipient"
NO_ADDRESS = "Người nhận chưa có địa chỉ thư / the recipient has no email address"
