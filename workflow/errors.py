"""Typed errors of the engine. Each carries a reason a person can act on (Vietnamese / English);
HTTP is not the engine's business: api/problems.py maps each class to its status."""

from __future__ import annotations


class WorkflowError(Exception):
    title = "Workflow error"

    def __init__(self, detail: str, **extra) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(WorkflowError):
    title = "Không tìm thấy / Not found"


class UnknownEvent(WorkflowError):
    title = "Sự kiện không tồn tại / Unknown event"

    def __init__(self, event: str, known: list[str]) -> None:
        super().__init__(
            f"Không có sự kiện '{event}' / there is no event '{event}'; events: {', '.join(known)}",
            known_events=known,
        )
        self.known = known


class VersionConflict(WorkflowError):
    title = "Hồ sơ đã thay đổi / Version conflict"

    def __init__(self, expected: int | None, current: int) -> None:
        super().__init__(
            f"Hồ sơ đã được cập nhật (phiên bản hiện tại {current}, bạn gửi {expected}); tải lại "
            f"rồi thử lại / the dossier changed: current version is {current}, you sent {expected}; "
            "reload it and try again",
            current_version=current,
        )
        self.current = current


class TransitionNotAllowed(WorkflowError):
    title = "Không thực hiện được ở trạng thái này / Event not allowed in this state"

    def __init__(self, event: str, state: str, allowed: list[str]) -> None:
        super().__init__(
            f"Không thể '{event}' khi hồ sơ ở trạng thái '{state}' / '{event}' is not allowed in "
            f"state '{state}'; allowed here: {', '.join(allowed) or 'none (the dossier is closed)'}",
            state=state,
            allowed_events=allowed,
        )
        self.state = state
        self.allowed = allowed


class Forbidden(WorkflowError):
    title = "Không có thẩm quyền / Forbidden"


class Conflict(WorkflowError):
    title = "Xung đột dữ liệu / Conflict"


def _broken_trail_text(whose_vi: str, whose_en: str, row_id: int | None, seq: int) -> str:
    row = f"dòng {row_id} (seq {seq})" if row_id is not None else f"seq {seq}"
    row_en = f"row {row_id} (seq {seq})" if row_id is not None else f"the row at seq {seq}"
    return (
        f"Nhật ký của {whose_vi} bị hỏng: {row} đã có mà không được ghi nhận; không có thay đổi "
        f"nào được ghi, báo quản trị chạy `dossier audit verify` / the trail of {whose_en} is "
        f"broken: {row_en} is there although it is not recorded; nothing was changed; ask an "
        "operator to run `dossier audit verify`"
    )


class BrokenTrail(Conflict):
    """The dossier's audit trail holds a row the dossier does not record (written behind the
    engine): no event is added after it until an operator has looked."""

    title = "Nhật ký hồ sơ bị hỏng / Broken audit trail"

    def __init__(self, dossier_id: int, row_id: int | None, seq: int) -> None:
        super().__init__(
            _broken_trail_text(f"hồ sơ số {dossier_id}", f"dossier {dossier_id}", row_id, seq),
            dossier_id=dossier_id,
            audit_row_id=row_id,
            seq=seq,
        )


class BrokenUserTrail(Conflict):
    """A user's trail holds a row the user does not record (written behind the engine): no change
    to that user is added after it until an operator has looked."""

    title = "Nhật ký người dùng bị hỏng / Broken user trail"

    def __init__(self, user_id: int, row_id: int | None, seq: int) -> None:
        super().__init__(
            _broken_trail_text(f"người dùng số {user_id}", f"user {user_id}", row_id, seq),
            user_id=user_id,
            user_event_id=row_id,
            seq=seq,
        )


class GuardFailed(WorkflowError):
    title = "Chưa đủ điều kiện / Conditions not met"

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons), reasons=reasons)
        self.reasons = reasons


class InvalidInput(GuardFailed):
    title = "Dữ liệu không hợp lệ / Invalid input"


# One text for "no such" and "not yours": an outsider cannot tell the two apart.
def no_dossier(dossier_id: int) -> NotFound:
    return NotFound(f"Không có hồ sơ số {dossier_id} / there is no dossier {dossier_id}")


def no_unit(unit_id: int) -> NotFound:
    return NotFound(f"Không có đơn vị số {unit_id} / there is no unit {unit_id}")
