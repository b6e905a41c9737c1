"""The pages' words, Vietnamese first and English on request: the labels of states, events,
roles and subject types come from ``states`` (the same pairs the API answers with); only the
pages' own words live here."""

from __future__ import annotations

from datetime import UTC, date, datetime

from starlette.requests import Request

from states import territory
from states.calendar import LOCAL
from states.lifecycle import EVENT_LABELS, ROLE_LABELS, STATE_LABELS, Event, Role, State
from states.subjects import SUBJECT_LABELS, SubjectType

LANG_COOKIE = "lang"
LANGS = ("vi", "en")

WORDS: dict[str, tuple[str, str]] = {
    "app": ("Hồ sơ công nhận ANTT", "ANTT recognition dossiers"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "token": ("Mã truy cập", "Access token"),
    "token_help": (
        "Mã do quản trị viên cấp (dossier user add)",
        "The token your administrator gave you (dossier user add)",
    ),
    "sso": ("Đăng nhập một lần", "Single sign-on"),
    "inbox": ("Việc chờ tôi xử lý", "Awaiting me"),
    "territory": ("Hồ sơ trong địa bàn", "My territory"),
    "archive": ("Hồ sơ tôi đã xử lý", "What I acted on"),
    "unit": ("Đơn vị", "Unit"),
    "subject_type": ("Loại đối tượng", "Subject type"),
    "commune": ("Mã xã", "Commune"),
    "state": ("Trạng thái", "State"),
    "due": ("Hạn xử lý", "Due"),
    "overdue": ("Quá hạn", "Overdue"),
    "escalation": ("Mức nhắc", "Escalation"),
    "year": ("Năm", "Year"),
    "any": ("Tất cả", "Any"),
    "filter": ("Lọc", "Filter"),
    "next_page": ("Trang sau", "Next page"),
    "empty": ("Không có hồ sơ nào", "No dossiers"),
    "dossier": ("Hồ sơ", "Dossier"),
    "version": ("Phiên bản", "Version"),
    "rule_set": ("Bộ tiêu chí", "Rule set"),
    "window": ("Kỳ đánh giá", "Evaluation window"),
    "step": ("Bước hiện tại", "Current step"),
    "holder": ("Người xử lý", "Held by"),
    "none": ("Không có", "None"),
    "score": ("Tổng điểm", "Total score"),
    "class": ("Xếp loại", "Classification"),
    "decision": ("Quyết định", "Decision"),
    "actions": ("Các bước bạn làm được", "What you can do"),
    "refused": ("Chưa làm được", "Not possible now"),
    "trail": ("Nhật ký hồ sơ", "Audit trail"),
    "chain_ok": ("Chuỗi nhật ký toàn vẹn", "The trail's chain verifies"),
    "chain_bad": ("Chuỗi nhật ký bị sai lệch", "The trail's chain does NOT verify"),
    "reason": ("Lý do", "Reason"),
    "decision_no": ("Số quyết định", "Decision number"),
    "decision_date": ("Ngày quyết định", "Decision date"),
    "remark": ("Ghi chú (lưu vào nhật ký)", "Remark (kept in the trail)"),
    "request_id": ("Mã yêu cầu", "Request id"),
    "done": ("Đã thực hiện", "Done"),
    "stale": (
        "Hồ sơ đã được người khác cập nhật trước bạn",
        "Someone acted on this dossier before you",
    ),
    "reload": ("Tải lại hồ sơ", "Reload the dossier"),
    "not_found": ("Không tìm thấy", "Not found"),
    "back": ("Về hộp việc", "Back to the inbox"),
    "language": ("English", "Tiếng Việt"),
    "needs_json": (
        "Bước này cần phiếu chấm điểm; hãy dùng API (xem /docs)",
        "This step needs the score sheet; use the API (see /docs)",
    ),
    "assessment": ("Tự đánh giá và thẩm định", "Self-assessment and verification"),
    "criterion": ("Tiêu chí", "Criterion"),
    "self_answer": ("Đơn vị tự đánh giá", "The unit's answer"),
    "verified_answer": ("Kết quả thẩm định", "Verified answer"),
    "met": ("Đạt", "Met"),
    "not_met": ("Chưa đạt", "Not met"),
    "score_sheet": ("Bảng chấm điểm (100 điểm)", "Score sheet (100 points)"),
    "max_points": ("Điểm tối đa", "Maximum"),
    "papers": ("Giấy tờ kèm theo", "Papers"),
    "notices": ("Thông báo chưa đọc", "Unread notices"),
    "mark_read": ("Đã đọc", "Mark read"),
    "more_notices": (
        "Còn thông báo khác: GET /api/v1/me/notices",
        "More notices: GET /api/v1/me/notices",
    ),
    "bulk": ("Quyết định chung cho nhiều hồ sơ", "One decision for several dossiers"),
    "bulk_open": ("Quyết định cho các hồ sơ đã chọn", "Decide the selected dossiers"),
    "bulk_none": (
        "Không có bước nào áp dụng được cho mọi hồ sơ đã chọn",
        "No step applies to every dossier selected",
    ),
    "selected": ("Hồ sơ đã chọn", "Selected dossiers"),
    "pick": ("Chọn", "Select"),
    "results": ("Kết quả từng hồ sơ", "Result for each dossier"),
    "registered_event": ("Đăng ký hồ sơ", "Dossier registered"),
    "dashboard": ("Bảng theo dõi", "Dashboard"),
    "hide_empty": ("Ẩn xã chưa có đơn vị", "Hide communes without units"),
    "download_xlsx": ("Tải báo cáo Excel (XLSX)", "Download the report (XLSX)"),
    "totals": ("Tổng hợp", "Totals"),
    "units": ("Số đơn vị", "Units"),
    "registered": ("Đã đăng ký", "Registered"),
    "recognised": ("Được công nhận", "Recognised"),
    "registration_rate": ("Tỷ lệ đăng ký", "Registration rate"),
    "recognition_rate": ("Tỷ lệ công nhận", "Recognition rate"),
    "target": ("chỉ tiêu", "target"),
    "opened_late": ("Bước mở muộn", "Steps opened late"),
    "escalated": ("Đã nhắc lên cấp trên", "Escalated"),
    "by_state": ("Hồ sơ theo trạng thái", "Dossiers by state"),
    "rates_by_commune": ("Tỷ lệ theo xã so với chỉ tiêu", "Rates per commune against the targets"),
    "hidden_communes": ("Số xã chưa có đơn vị đang ẩn", "Communes without units hidden"),
    "lifecycle": ("Quy trình hồ sơ", "The dossier's lifecycle"),
    "event": ("Bước", "Step"),
    "from": ("Từ trạng thái", "From"),
    "to": ("Sang trạng thái", "To"),
    "needs": ("Cần có", "Needs"),
    "admin": ("Quản trị", "Administration"),
    "users": ("Người dùng", "Users"),
    "units_admin": ("Đơn vị", "Units"),
    "outbox": ("Hộp thư đi", "Outbox"),
    "new_user": ("Tạo người dùng", "Create a user"),
    "new_unit": ("Đăng ký đơn vị", "Register a unit"),
    "person_name": ("Họ tên", "Name"),
    "role": ("Vai trò", "Role"),
    "territory_code": ("Địa bàn (mã tỉnh hoặc xã)", "Territory (province or commune code)"),
    "territory_help": (
        "Ví dụ 51 (tỉnh) hoặc 21211 (xã); người dùng đơn vị để trống và ghi số đơn vị",
        "E.g. 51 (province) or 21211 (commune); a unit's user leaves it empty and gives the unit",
    ),
    "unit_id": ("Số đơn vị (vai trò đơn vị)", "Unit number (for a unit's user)"),
    "email": ("Thư điện tử", "Email"),
    "phone": ("Điện thoại", "Phone"),
    "notify_mode": ("Cách nhận thông báo", "Notifications"),
    "create": ("Tạo", "Create"),
    "save": ("Lưu", "Save"),
    "status": ("Tình trạng", "Status"),
    "active": ("Đang hoạt động", "Active"),
    "inactive": ("Đã khóa", "Deactivated"),
    "last_used": ("Dùng lần cuối", "Last used"),
    "actions_col": ("Thao tác", "Actions"),
    "deactivate": ("Khóa", "Deactivate"),
    "reactivate": ("Mở lại", "Reactivate"),
    "rotate": ("Cấp mã mới", "New token"),
    "token_once": (
        "Mã truy cập chỉ hiện một lần; hãy chuyển cho người dùng ngay:",
        "The token is shown this once; hand it to the user now:",
    ),
    "unit_name": ("Tên đơn vị", "Unit name"),
    "kind": ("Loại hình", "Kind"),
    "kind_help": ("Để trống: loại mặc định", "Empty: the default kind"),
    "managing_level": ("Cấp quản lý", "Managed by"),
    "undeliverable": ("Thư không gửi được", "Undeliverable messages"),
    "outbox_pending": ("Đang chờ gửi", "Pending"),
    "outbox_sent": ("Đã gửi", "Sent"),
    "outbox_undeliverable": ("Không gửi được", "Undeliverable"),
    "created": ("Tạo lúc", "Created"),
    "message": ("Nội dung", "Message"),
    "why_undelivered": ("Lý do", "Why"),
    "fix_marked": ("Hãy sửa các mục được đánh dấu", "Correct the marked answers"),
    "numerator": ("Tử số (số đạt)", "Numerator (how many)"),
    "denominator": ("Mẫu số (tổng số)", "Denominator (out of)"),
    "happened": ("Có xảy ra", "Happened"),
    "not_happened": ("Không xảy ra", "Did not happen"),
    "exemption": ("Trường hợp miễn trừ", "Exemption"),
    "exemption_note": ("Giải trình miễn trừ", "Why the exemption applies"),
    "ex_force_majeure": ("Bất khả kháng", "Force majeure"),
    "ex_detected_and_reported": ("Kịp thời phát hiện và báo cáo", "Detected and reported at once"),
    "superior_scores": ("Điểm của cấp trên", "The superior's scores"),
    "sub_items_sum": (
        "Điểm của mục có tiểu mục là tổng các tiểu mục",
        "An item with sub-items scores the sum of its sub-items",
    ),
    "paper_ref": ("số, ký hiệu", "number or reference"),
    "paper_date": ("Ngày văn bản", "Date of the paper"),
    "restored": (
        "Đã điền lại những gì bạn nhập trước khi phiên đăng nhập hết hạn; hãy kiểm tra rồi gửi",
        "What you typed before your session ended is filled in again: check it and send",
    ),
    "seat_empty": (
        "Chưa có ai giữ vị trí này: thông báo không đến được ai",
        "Nobody holds this seat: its notices reach no one",
    ),
    "bulk_all_done": (
        "Mọi hồ sơ đã chọn đều đã được xử lý.",
        "Every dossier selected was decided.",
    ),
    "signed_out": (
        "Phiên đăng nhập đã hết, hãy đăng nhập lại",
        "Your session ended: sign in again",
    ),
}


def local_time(value: datetime | str | None) -> str:
    """A moment as officials read it: Vietnam's clock, day first."""
    if value is None:
        return ""
    moment = (
        datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    )
    if moment.tzinfo is None:  # stored in UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


def local_day(value: date | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = (
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            if len(value) > 10
            else date.fromisoformat(value)
        )
    if isinstance(value, datetime):  # a deadline: the local day it falls on
        value = value.astimezone(LOCAL).date() if value.tzinfo else value.date()
    return value.strftime("%d/%m/%Y")


def place_name(code: int, kind: str) -> str:
    """A commune or province as its officials name it, its code beside it."""
    place = territory.commune(code) if kind == "commune" else territory.province(code)
    return f"{place.name} ({code})" if place else str(code)


def percent(rate: float | None) -> str:
    """A rate as a person reads it; a dash where there is nothing to divide by."""
    return "—" if rate is None else f"{rate * 100:.0f}%"


def lang_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGS else "vi"


class Words:
    """What a template calls: ``w("inbox")``, ``w.state("registered")`` and so on, in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._i = LANGS.index(lang)

    def __call__(self, key: str) -> str:
        return WORDS[key][self._i]

    def pair(self, pair: tuple[str, str]) -> str:
        return pair[self._i]

    def state(self, value: str) -> str:
        return STATE_LABELS[State(value)][self._i]

    def event(self, value: str) -> str:
        if value == "register":  # the trail's first row: registration is not a lifecycle event
            return WORDS["registered_event"][self._i]
        return EVENT_LABELS[Event(value)][self._i]

    def role(self, value: str) -> str:
        return ROLE_LABELS[Role(value)][self._i]

    def subject(self, value: str) -> str:
        return SUBJECT_LABELS[SubjectType(value)][self._i]


def answer(value: object) -> str:
    """A criterion's answer as a reader says it: met or not, a count, a fraction."""
    if not isinstance(value, dict):
        return "—" if value is None else str(value)
    if "met" in value:
        return "Đạt / met" if value["met"] else "Chưa đạt / not met"
    if "happened" in value:
        return "Có xảy ra / happened" if value["happened"] else "Không xảy ra / did not happen"
    if "numerator" in value and "denominator" in value:
        return f"{value['numerator']}/{value['denominator']}"
    return ", ".join(f"{k}: {v}" for k, v in value.items())
