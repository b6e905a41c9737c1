"""`dossier bench api`: the standard workload over HTTP, K concurrent clients against a server.

Each client registers its share of the units (POST /api/v1/dossiers), then walks each dossier
through submit_self_score, commune_approve, police_verify and recognise with If-Match, each as
the seat the authority map names. Then the same clients hammer /healthz on the same server: the
framework's own ceiling, to read the workload's figures against. The server the bench starts
serves a scratch database of its own (``bench.scratch``).
"""

from __future__ import annotations

import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, insert

from bench import scratch
from bench.lifecycle import EVENTS, PROVINCE, _units, bench_payload
from states import examples
from states.lifecycle import Event, Role
from states.rulesets import Policy, RegistrationWindow, RuleSet
from states.subjects import SubjectType
from workflow import migrate, rulesets
from workflow.db import make_engine, write_transaction
from workflow.models import AppUser, table_of
from workflow.users import hash_token

# Registration is checked against today's date: the bench publishes rule sets for this year
# that keep it open all year, so it runs on any day (on fresh units, so no dossier collides).
YEAR = datetime.now(UTC).year


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tokens(engine: Engine, units: list[dict[str, Any]]) -> tuple[dict[int, str], dict[tuple, str]]:
    """A unit user per unit and an official per seat the workload needs; returns their tokens."""
    now = datetime.now(UTC)
    rows, unit_tokens, seat_tokens = [], {}, {}
    for unit in units:
        token = secrets.token_urlsafe(24)
        unit_tokens[unit["id"]] = token
        rows.append(
            {
                "name": f"bench rep {unit['id']}",
                "role": Role.UNIT.value,
                "province_code": PROVINCE,
                "commune_code": unit["commune_code"],
                "unit_id": unit["id"],
                "token_hash": hash_token(token),
                "active": True,
                "created_at": now,
            }
        )
    seats = {(Role.POLICE, None), (Role.UBND, None)}
    for unit in units:
        seats.add((Role.COMMUNE_REVIEWER, unit["commune_code"]))
        if unit["managing_level"] == "commune":
            seats |= {(Role.POLICE, unit["commune_code"]), (Role.UBND, unit["commune_code"])}
    for role, commune in seats:
        token = secrets.token_urlsafe(24)
        seat_tokens[(role, commune)] = token
        rows.append(
            {
                "name": f"bench {role.value} {commune or PROVINCE}",
                "role": role.value,
                "province_code": PROVINCE,
                "commune_code": commune,
                "unit_id": None,
                "token_hash": hash_token(token),
                "active": True,
                "created_at": now,
            }
        )
    with write_transaction(engine) as conn:
        for start in range(0, len(rows), 500):
            conn.execute(insert(table_of(AppUser)), rows[start : start + 500])
    return unit_tokens, seat_tokens


def _seed(url: str, dossiers: int) -> tuple[list[dict[str, Any]], dict[int, str], dict[tuple, str]]:
    engine = make_engine(url)
    migrate.upgrade(engine)
    with write_transaction(engine) as conn:
        for subject in SubjectType:
            rulesets.publish(
                conn,
                RuleSet(
                    province_code=PROVINCE,
                    year=YEAR,
                    subject_type=subject,
                    policy=Policy(
                        registration_window=RegistrationWindow(start="01-01", end="12-31")
                    ),
                ),
            )
    units = _units(engine, dossiers)
    unit_tokens, seat_tokens = _tokens(engine, units)
    engine.dispose()
    return units, unit_tokens, seat_tokens


def seat_token(
    event: Event, unit: dict[str, Any], unit_tokens: dict[int, str], seat_tokens: dict[tuple, str]
) -> str:
    """The token of the seat the authority map names for ``event`` on ``unit``'s dossier."""
    if event is Event.SUBMIT_SELF_SCORE:
        return unit_tokens[unit["id"]]
    if event is Event.COMMUNE_APPROVE:
        return seat_tokens[(Role.COMMUNE_REVIEWER, unit["commune_code"])]
    role = Role.POLICE if event is Event.POLICE_VERIFY else Role.UBND
    return seat_tokens[
        (role, unit["commune_code"] if unit["managing_level"] == "commune" else None)
    ]


def _serve(
    url: str, workers: int = 1, env_extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "EMBEDDED_SCHEDULER": "false", **(env_extra or {})}
    exe = Path(sys.executable).parent / "dossier"
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.25)
    proc.terminate()
    raise SystemExit("the server did not start")


def _figures(latencies: list[float], seconds: float) -> dict[str, Any]:
    n = len(latencies)
    q = statistics.quantiles(latencies, n=100) if n >= 100 else [max(latencies)] * 99
    return {
        "requests": n,
        "seconds": round(seconds, 3),
        "requests_per_s": round(n / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(q[98] * 1000, 3),
    }


def _run_clients(k: int, work) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(i: int) -> None:
        local, bad = [], 0
        with httpx.Client(timeout=60) as http:
            for ok, elapsed in work(i, http):
                local.append(elapsed)
                bad += 0 if ok else 1
        with lock:
            latencies.extend(local)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(k)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors[0], time.perf_counter() - started


def run(
    db: str = "sqlite",
    dossiers: int = 500,
    clients: int = 8,
    url: str | None = None,
    server_workers: int = 1,
    database: str | None = None,
) -> dict[str, Any]:
    """A server the bench starts on a scratch database, or the one at ``url`` serving
    ``database`` (empty: the bench seeds it)."""
    if url is not None and database is None:
        raise scratch.Refused(
            "--url needs --database: the empty database the server at --url serves, which "
            "the bench seeds (omit --url to let the bench start a server on a scratch one)"
        )
    with scratch.database(db, database) as target:
        return _run(target, dossiers, clients, url, server_workers)


def _run(
    database: str, dossiers: int, clients: int, url: str | None, server_workers: int
) -> dict[str, Any]:
    units, unit_tokens, seat_tokens = _seed(database, dossiers)
    proc = None
    if url is None:
        proc, url = _serve(database, server_workers)
    try:

        def lifecycle(i: int, http: httpx.Client):
            mine = units[i::clients]
            registered = []
            for unit in mine:
                t0 = time.perf_counter()
                r = http.post(
                    f"{url}/api/v1/dossiers",
                    headers={"Authorization": f"Bearer {unit_tokens[unit['id']]}"},
                    json={
                        "unit_id": unit["id"],
                        "year": YEAR,
                        **examples.registration_payload(unit["subject_type"]),
                    },
                )
                yield r.status_code == 201, time.perf_counter() - t0
                if r.status_code == 201:
                    registered.append((r.json()["id"], unit))
            for did, unit in registered:
                version = 1
                for event in EVENTS:
                    t0 = time.perf_counter()
                    r = http.post(
                        f"{url}/api/v1/dossiers/{did}/events/{event.value}",
                        json=bench_payload(event, unit["subject_type"]),
                        headers={
                            "Authorization": f"Bearer {seat_token(event, unit, unit_tokens, seat_tokens)}",
                            "If-Match": f'"{version}"',
                        },
                    )
                    yield r.status_code == 200, time.perf_counter() - t0
                    if r.status_code != 200:
                        break
                    version += 1

        latencies, errors, seconds = _run_clients(clients, lifecycle)
        per_client = max(1, len(latencies) // clients)

        def health(i: int, http: httpx.Client):
            for _ in range(per_client):
                t0 = time.perf_counter()
                r = http.get(f"{url}/healthz")
                yield r.status_code == 200, time.perf_counter() - t0

        h_latencies, h_errors, h_seconds = _run_clients(clients, health)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    return {
        "workload": "api-lifecycle",
        "db": scratch.kind(database),
        "dossiers": dossiers,
        "clients": clients,
        "server_workers": server_workers if proc is not None else None,
        **_figures(latencies, seconds),
        "errors": errors,
        "healthz": {**_figures(h_latencies, h_seconds), "errors": h_errors},
    }
