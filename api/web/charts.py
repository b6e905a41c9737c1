"""Server-rendered charts for the province dashboard: geometry only, in numbers a template
turns into SVG. No chart library: the two charts are bars against a target line, and a
library would bring a script (the pages' CSP allows none inline) for what is arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from states.lifecycle import State

BAR_H = 14
ROW_H = 40
LABEL_W = 180
PLOT_W = 400


@dataclass(frozen=True)
class RateRow:
    y: int
    label: str
    registration: float | None  # 0..1, None where there is nothing to divide by
    recognition: float | None
    meets_registration: bool
    meets_recognition: bool


def rate_chart(communes: list[dict[str, Any]], targets: dict[str, int]) -> dict[str, Any]:
    """One row per commune: the registration and recognition rates, with the targets as lines."""
    rows = []
    for i, c in enumerate(communes):
        t = c["total"]
        rows.append(
            RateRow(
                y=i * ROW_H + 8,
                label=c["commune_name"] or str(c["commune_code"]),
                registration=t["registration_rate"],
                recognition=t["recognition_rate"],
                meets_registration=bool(t["meets_registration_target"]),
                meets_recognition=bool(t["meets_recognition_target"]),
            )
        )
    return {
        "rows": rows,
        "label_w": LABEL_W,
        "plot_w": PLOT_W,
        "bar_h": BAR_H,
        "width": LABEL_W + PLOT_W + 60,
        "height": len(rows) * ROW_H + 24,
        "registration_x": LABEL_W + PLOT_W * targets["registration_pct"] / 100,
        "recognition_x": LABEL_W + PLOT_W * targets["recognition_pct"] / 100,
    }


# One colour per state, each dark enough for white text and distinct on a grey-scale print.
STATE_COLOURS = {
    State.REGISTERED: "#5b6b7f",
    State.SELF_SCORED: "#0b4f9c",
    State.COMMUNE_REVIEWED: "#6a3d9a",
    State.POLICE_VERIFIED: "#8a5a00",
    State.RECOGNISED: "#1d6b2a",
    State.REJECTED: "#a4000f",
    State.WITHDRAWN: "#3d3d3d",
    State.REVOKED: "#7a1f4f",
}


def state_bar(by_state: dict[str, int], width: int = 600) -> dict[str, Any]:
    """The scope's dossiers as one bar split by state, and the legend beside it."""
    total = sum(by_state.values())
    x, parts = 0.0, []
    for s in State:
        n = by_state.get(s.value, 0)
        w = width * n / total if total else 0
        parts.append({"state": s.value, "n": n, "x": x, "w": w, "colour": STATE_COLOURS[s]})
        x += w
    return {"parts": parts, "total": total, "width": width}
