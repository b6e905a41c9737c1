"""The summary report as an XLSX workbook officials open in Excel: one sheet for the province
(or commune) by subject type, one per commune and subject type, one with the targets."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from states.lifecycle import State

PERCENT = "0.0%"
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
STATES = [s.value for s in State]


def _headers(labels: dict[str, Any]) -> list[str]:
    return (
        [
            "Số đơn vị",
            "Đã đăng ký",
            "Tỷ lệ đăng ký",
            "Được công nhận",
            "Tỷ lệ công nhận",
            "Đạt chỉ tiêu đăng ký",
            "Đạt chỉ tiêu công nhận",
        ]
        + [labels["states"][s]["vi"] for s in STATES]
        + ["Quá hạn", "Đã nhắc / chuyển cấp", "Mở muộn (được thêm thời gian xử lý)"]
    )


def _yes(value: bool | None) -> str:
    return "" if value is None else ("Đạt" if value else "Chưa đạt")


def _figures(f: dict[str, Any]) -> list[Any]:
    return (
        [
            f["units"],
            f["registered"],
            f["registration_rate"],
            f["recognised"],
            f["recognition_rate"],
            _yes(f["meets_registration_target"]),
            _yes(f["meets_recognition_target"]),
        ]
        + [f["by_state"][s] for s in STATES]
        + [f["overdue"], f["escalated"], f["opened_late"]]
    )


def _sheet(
    ws, head: list[str], rows: list[list[Any]], percent_columns: list[int], frozen_columns: int = 1
) -> None:
    ws.append(head)
    for cell in ws[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(row)
    for col in percent_columns:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = PERCENT
    ws.freeze_panes = ws.cell(row=2, column=frozen_columns + 1)  # headers and row names stay
    for i, title in enumerate(head, start=1):
        width = (
            max(len(str(title)), *(len(str(r[i - 1] or "")) for r in rows)) if rows else len(title)
        )
        ws.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 40)


def workbook(report: dict[str, Any]) -> bytes:
    labels = report["labels"]
    subject_vi = {s: v["vi"] for s, v in labels["subject_types"].items()}
    wb = Workbook()
    scope = report["scope"]
    top = wb.active
    assert isinstance(top, Worksheet)  # a new Workbook opens on one plain worksheet
    top.title = "Xã" if scope["commune_code"] else "Tỉnh"
    head = ["Loại đối tượng", *_headers(labels)]
    rows = [[subject_vi[s], *_figures(f)] for s, f in report["by_subject_type"].items()]
    rows.append(["Tổng cộng", *_figures(report["total"])])
    _sheet(top, head, rows, [4, 6])
    for cell in top[top.max_row]:
        cell.font = BOLD
    communes = wb.create_sheet("Theo xã")
    head = ["Mã xã", "Xã, phường", "Loại đối tượng", *_headers(labels)]
    rows = []
    for c in report["communes"]:
        for s, f in c["by_subject_type"].items():
            rows.append([c["commune_code"], c["commune_name"], subject_vi[s], *_figures(f)])
        rows.append([c["commune_code"], c["commune_name"], "Tổng cộng", *_figures(c["total"])])
    _sheet(communes, head, rows, [6, 8], frozen_columns=3)
    targets = wb.create_sheet("Chỉ tiêu")
    where = scope["commune_name"] or scope["province_name"]
    _sheet(
        targets,
        ["Chỉ tiêu", "Giá trị"],
        [
            ["Địa bàn", where],
            ["Năm", report["year"]],
            ["Số liệu đến", report["as_of"]],
            ["Tỷ lệ đăng ký tối thiểu", report["targets"]["registration_pct"] / 100],
            [
                "Tỷ lệ công nhận tối thiểu (trên số đã đăng ký)",
                report["targets"]["recognition_pct"] / 100,
            ],
        ],
        [],
    )
    for row in (5, 6):
        targets.cell(row=row, column=2).number_format = PERCENT
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
