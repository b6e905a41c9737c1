"""The lifecycle drawn from the same table the Machine runs (``states.lifecycle``), laid out in
columns by the longest forward path from the initial state: a diagram that cannot drift from
the engine. Mermaid would need its script in the browser; this is a page's worth of SVG."""

from __future__ import annotations

from typing import Any

from states.lifecycle import INITIAL, TRANSITIONS, State

COL_W = 190
ROW_H = 80
BOX_W = 150
BOX_H = 46
TOP = 50  # room above the first row for the arcs of returns


def _columns() -> dict[State, int]:
    """Each state's column: one past its furthest source. A return to the initial state starts
    the path again, so it is not a step forward."""
    column = {INITIAL: 0}
    for _ in State:  # a longest path has at most one edge per state
        for t in TRANSITIONS:
            if t.dest is INITIAL:
                continue
            reached = [column[s] for s in t.sources if s in column]
            if reached:
                column[t.dest] = max(column.get(t.dest, 0), max(reached) + 1)
    return column


def lifecycle_layout() -> dict[str, Any]:
    column = _columns()
    used: dict[int, int] = {}
    boxes: dict[State, dict[str, Any]] = {}
    for s in State:
        c = column.get(s, 0)
        r = used.get(c, 0)
        used[c] = r + 1
        boxes[s] = {"state": s.value, "x": 10 + c * COL_W, "y": TOP + r * ROW_H}
    edges = []
    for t in TRANSITIONS:
        for src in t.sources:
            a, b = boxes[src], boxes[t.dest]
            if column[t.dest] <= column[src]:  # a return: an arc over the row, back to its start
                x1, x2, y = a["x"] + BOX_W / 2, b["x"] + BOX_W / 2, a["y"]
                lift = 12 + 12 * (column[src] - column[t.dest])
                path = f"M{x1},{y} Q{(x1 + x2) / 2},{y - lift} {x2},{y}"
                kind, label_at = "back", None
            else:
                x1, y1 = a["x"] + BOX_W, a["y"] + BOX_H / 2
                x2, y2 = b["x"], b["y"] + BOX_H / 2
                mid = (x1 + x2) / 2
                path = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
                kind = "main" if y1 == y2 else "side"
                # Only the main path's arrows carry a label; the legend names the rest.
                label_at = (mid, y1 - 6) if kind == "main" else None
            edges.append({"event": t.event.value, "path": path, "kind": kind, "label": label_at})
    return {
        "boxes": list(boxes.values()),
        "edges": edges,
        "width": (max(column.values()) + 1) * COL_W,
        "height": TOP + max(used.values()) * ROW_H,
        "box_w": BOX_W,
        "box_h": BOX_H,
    }
