"""`dossier bench pages`: the server time of every page officials open, as `dossier serve`
answers them over HTTP on a scratch database (``bench.scratch``).

First on the demo province (every role of `dossier demo` signs in and opens its pages), then
with N more dossiers loaded through the API's own write path (registered, self-scored, half of
them approved by their commune) for the inbox at scale. Each figure is the app's own time from
the ``Server-Timing`` header; ``/healthz`` on the same server is the floor.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from api import changes
from bench import scratch
from bench.http import _serve
from bench.lifecycle import _actors, _stored, _units, bench_payload
from states import examples
from states.calendar import local_date
from states.lifecycle import Event
from workflow import demo, migrate
from workflow.db import make_engine, set_engine
from workflow.users import create_user

REPEAT = 20
WARM = 3
TARGET_MS = {"demo": 200.0, "inbox_at_scale": 50.0}


def _timed(client: httpx.Client, path: str, n: int = REPEAT) -> dict[str, Any]:
    times = []
    for i in range(WARM + n):
        r = client.get(path)
        if r.status_code != 200:
            raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
        dur = float(re.search(r"dur=([0-9.]+)", r.headers["server-timing"]).group(1))
        if i >= WARM:
            times.append(dur)
    return {
        "path": path,
        "p50_ms": round(statistics.median(times), 2),
        "max_ms": round(max(times), 2),
    }


@contextmanager
def _signed_in(base: str, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30) as client:
        r = client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)
        if r.status_code != 303:
            raise SystemExit(f"sign-in refused: {r.status_code} {r.text[:200]}")
        yield client


def _first_dossier(client: httpx.Client, tab: str) -> int | None:
    found = re.search(r'href="/dossiers/(\d+)"', client.get(f"/?tab={tab}").text)
    return int(found.group(1)) if found else None


def _role_pages(client: httpx.Client, role: str) -> list[str]:
    pages = ["/", "/?tab=territory", "/?tab=archive"]
    dossier = _first_dossier(client, "awaiting") or _first_dossier(client, "territory")
    if dossier:
        pages.append(f"/dossiers/{dossier}")
    if role != "unit":
        pages.append("/dashboard")
    if role == "ubnd" and dossier:
        pages.append(f"/bulk?id={dossier}")
    if role in ("province_admin", "auditor"):
        pages.append("/admin/users")
    if role == "province_admin":
        pages += ["/admin/units", "/admin/outbox"]
    return pages


def _load(url: str, n: int) -> list[dict[str, Any]]:
    """N dossiers through the API's write path: registered and self-scored, every other one
    approved by its commune, so inboxes at the commune and the province both fill."""
    engine = make_engine(url)
    set_engine(engine)
    year = local_date(datetime.now(UTC)).year
    units = _units(engine, n)
    actors = _stored(engine, _actors(units))
    for i, unit in enumerate(units):
        rep, reviewer = actors[unit["id"]][0], actors[unit["id"]][1]
        reply = changes.register_dossier(
            rep, unit["id"], year, examples.registration_payload(unit["subject_type"])
        )
        tag = reply.etag
        steps = [(Event.SUBMIT_SELF_SCORE, rep)]
        if i % 2:
            steps.append((Event.COMMUNE_APPROVE, reviewer))
        for event, actor in steps:
            payload = bench_payload(event, unit["subject_type"])
            tag = changes.fire_event(actor, reply.body["id"], event, payload, tag).etag
    set_engine(None)
    engine.dispose()
    return units


def run(db: str = "sqlite", dossiers: int = 10_000, database: str | None = None) -> dict[str, Any]:
    with scratch.database(db, database) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        seeded = demo.seed(engine=engine)
        engine.dispose()
        proc, base = _serve(url)
        try:
            return _measure(url, base, seeded, dossiers)
        finally:
            proc.terminate()
            proc.wait(10)


def _measure(url: str, base: str, seeded: dict[str, Any], dossiers: int) -> dict[str, Any]:
    with httpx.Client(base_url=base) as anon:
        floor = _timed(anon, "/healthz")
    demo_pages = []
    seen = set()
    for user in seeded["users"]:
        if user["role"] in seen:
            continue
        seen.add(user["role"])
        with _signed_in(base, user["token"]) as client:
            for path in _role_pages(client, user["role"]):
                demo_pages.append({"role": user["role"], **_timed(client, path)})
    started = time.perf_counter()
    units = _load(url, dossiers)
    loaded_s = time.perf_counter() - started
    # Officials of the loaded province: the busiest commune's reviewer, the province's police
    # (every province-managed dossier the communes approved), and its administrator.
    commune = units[0]["commune_code"]
    engine = make_engine(url)
    seats = {
        "commune_reviewer": str(commune),
        "police": "51",
        "province_admin": "51",
    }
    people = {
        role: create_user(name=f"bench {role}", role=role, territory_code=where, engine=engine)
        for role, where in seats.items()
    }
    engine.dispose()
    at_scale = []
    for role, (_, token) in people.items():
        with _signed_in(base, token) as client:
            paths = ["/", "/?tab=territory", "/?tab=territory&state=self_scored"]
            if role == "province_admin":
                paths.append("/dashboard")  # the report over every loaded dossier
            for path in paths:
                at_scale.append({"role": role, **_timed(client, path)})
    worst_demo = max(p["p50_ms"] for p in demo_pages)
    worst_inbox = max(p["p50_ms"] for p in at_scale if p["path"] != "/dashboard")
    return {
        "workload": "pages",
        "db": scratch.kind(url),
        "floor_healthz": floor,
        "demo": demo_pages,
        "loaded_dossiers": dossiers,
        "load_seconds": round(loaded_s, 1),
        "inbox_at_scale": at_scale,
        "worst_demo_p50_ms": worst_demo,
        "worst_inbox_p50_ms": worst_inbox,
        "targets_ms": TARGET_MS,
        "dashboard_at_scale_p50_ms": next(
            p["p50_ms"] for p in at_scale if p["path"] == "/dashboard"
        ),
        "met": worst_demo < TARGET_MS["demo"] and worst_inbox < TARGET_MS["inbox_at_scale"],
    }
