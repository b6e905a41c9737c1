"""`dossier bench crash`: the server is killed with SIGKILL at random moments under load, and
nothing it acknowledged is lost.

On a scratch database of its own (``bench.scratch``), the bench starts `dossier serve`; K clients
register units and walk their dossiers to recognised (``bench.walker``), with a read now and
then. Every change carries an Idempotency-Key: a request whose answer the crash swallowed is
sent again, with the same key, once the server is back, so its outcome is known (a change that
committed answers with its first answer, one that did not is made now). Every 2xx is recorded
with what it returned.

Each cycle runs the server for a random time while a signed tree head is written (`dossier
audit checkpoint`), then kills the server with SIGKILL and starts it again. At the end every
acknowledged change must be in the database (the dossier at least that far, and the audit row
of that version with that state), `dossier audit verify` must find every chain, replay and
saved head sound, and a last checkpoint must extend them.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from bench import scratch
from bench.http import _seed, _serve
from bench.walker import Walker
from workflow import tree_heads, user_trail, users
from workflow.db import make_engine, write_transaction
from workflow.models import AppUser, AuditEvent, Dossier, table_of

# The crash cut the request off: its outcome is unknown until it is sent again.
CUT_OFF = (httpx.TransportError,)


@dataclass
class Ack:
    """A change the server acknowledged (2xx), with what it answered."""

    dossier_id: int
    version: int
    state: str
    cycle: int


@dataclass
class Tally:
    acks: list[Ack] = field(default_factory=list)
    resent: int = 0  # requests sent again after a crash cut their answer off
    unavailable: int = 0  # 503s (Retry-After), each retried
    refused: Counter = field(default_factory=Counter)  # 4xx other than the expected
    server_errors: Counter = field(default_factory=Counter)  # 5xx other than a 503 to retry
    reads: int = 0
    stale_reads: int = 0  # a read that showed less than a change already acknowledged


class Cycle:
    """The number of the server's current life, shared with the clients."""

    def __init__(self) -> None:
        self.number = 0


def _send(
    http: httpx.Client, method: str, url: str, stop: threading.Event, tally: Tally, **kw: Any
) -> httpx.Response | None:
    """Send until the server answers with anything but a 503; None when stopped first."""
    first = True
    while True:
        try:
            r = http.request(method, url, **kw)
        except CUT_OFF:
            if first and method == "POST":
                tally.resent += 1
            first = False
            if stop.is_set() and method == "GET":
                return None
            time.sleep(0.05)
            continue
        if r.status_code == 503:
            tally.unavailable += 1
            time.sleep(float(r.headers.get("Retry-After", "0.1") or 0.1))
            continue
        return r


def _client(base: str, walker: Walker, stop: threading.Event, cycle: Cycle, tally: Tally) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        while not stop.is_set() and walker.has_work():
            target = walker.read_target() if walker.rng.random() < 0.15 else None
            if target is not None:
                url, headers, d = target
                r = _send(http, "GET", url, stop, tally, headers=headers)
                if r is not None:
                    tally.reads += 1
                    if r.status_code != 200 or r.json()["version"] < d["version"]:
                        tally.stale_reads += 1
                continue
            change = walker.next_change()
            r = _send(
                http, "POST", change.url, stop, tally, headers=change.headers, json=change.json
            )
            assert r is not None  # a change is sent until it is answered
            body = walker.answered(change, r)
            if body is None:
                _tally_refusal(tally, r)
            else:
                tally.acks.append(Ack(body["id"], body["version"], body["state"], cycle.number))


def _tally_refusal(tally: Tally, r: httpx.Response) -> None:
    bucket = tally.server_errors if r.status_code >= 500 else tally.refused
    bucket[f"{r.status_code} {r.text[:200]}"] += 1


def _start_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    exe = Path(sys.executable).parent / "dossier"
    return subprocess.Popen(
        [str(exe), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _answer(proc: subprocess.Popen) -> tuple[int, dict[str, Any]]:
    stdout, stderr = proc.communicate(timeout=600)
    try:
        out = json.loads(stdout)
    except json.JSONDecodeError:
        out = {"stdout": stdout[-2000:], "stderr": stderr[-2000:]}
    return proc.returncode, out


def _dossier_cli(args: list[str], env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    return _answer(_start_cli(args, env))


def _record_users(url: str) -> None:
    """Give the users the bench inserted in bulk the trail row a created user has, so `audit
    verify` judges their trails like any other."""
    engine = make_engine(url)
    table = table_of(AppUser)
    try:
        with write_transaction(engine) as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]
            for row in rows:
                head = user_trail.append(
                    conn,
                    user_id=row["id"],
                    seq=1,
                    prev_hash=user_trail.GENESIS,
                    event=user_trail.CREATED,
                    who=users.who(None, "dossier bench crash"),
                    before={},
                    after=users._trail_view(row),
                    at=row["created_at"],
                    request_id=None,
                )
                conn.execute(
                    update(table)
                    .where(table.c.id == row["id"])
                    .values(trail_seq=1, trail_head=head)
                )
    finally:
        engine.dispose()


def _lost(url: str, acks: list[Ack]) -> list[dict[str, Any]]:
    """Acknowledged changes the database does not hold: the dossier behind the version it was
    acknowledged at, or no audit row of that version with that state."""
    engine = make_engine(url)
    dossiers, audit = table_of(Dossier), table_of(AuditEvent)
    try:
        with engine.connect() as conn:
            versions = dict(conn.execute(select(dossiers.c.id, dossiers.c.version)).all())
            rows = {
                (r.dossier_id, r.version): r.to_state
                for r in conn.execute(select(audit.c.dossier_id, audit.c.version, audit.c.to_state))
            }
    finally:
        engine.dispose()
    lost = []
    for ack in acks:
        held = versions.get(ack.dossier_id)
        if (
            held is None
            or held < ack.version
            or rows.get((ack.dossier_id, ack.version)) != (ack.state)
        ):
            lost.append(
                {
                    "dossier_id": ack.dossier_id,
                    "acknowledged": [ack.version, ack.state],
                    "held_version": held,
                    "audit_state": rows.get((ack.dossier_id, ack.version)),
                }
            )
    return lost


def run(
    db: str = "sqlite",
    cycles: int = 10,
    clients: int = 8,
    units: int = 3000,
    min_up: float = 0.5,
    max_up: float = 3.0,
    seed: int | None = None,
    database: str | None = None,
) -> dict[str, Any]:
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    with (
        scratch.database(db, database) as url,
        tempfile.TemporaryDirectory(prefix="dossier-crash-") as keep,
    ):
        return _run(url, Path(keep), cycles, clients, units, min_up, max_up, seed)


def _run(
    url: str,
    keep: Path,
    cycles: int,
    clients: int,
    n_units: int,
    min_up: float,
    max_up: float,
    seed: int,
) -> dict[str, Any]:
    rng = random.Random(seed)
    units, unit_tokens, seat_tokens = _seed(url, n_units)
    _record_users(url)
    tree_heads.generate_key(keep / "signing-key.pem")
    # The key and the heads live outside the database, as in production.
    audit_env = {
        "AUDIT_KEY_FILE": str(keep / "signing-key.pem"),
        "AUDIT_HEADS_DIR": str(keep / "heads"),
    }
    cli_env = {**os.environ, "DATABASE_URL": url, **audit_env}
    started = time.perf_counter()
    proc, base = _serve(url, env_extra=audit_env)
    stop, cycle, tallies = threading.Event(), Cycle(), [Tally() for _ in range(clients)]
    threads = [
        threading.Thread(
            target=_client,
            args=(
                base,
                Walker(units[i::clients], unit_tokens, seat_tokens, random.Random(rng.random())),
                stop,
                cycle,
                tallies[i],
            ),
            daemon=True,
        )
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    restarts: list[float] = []
    checkpoints_failed = []
    try:
        for n in range(cycles):
            # A head is written while the load goes on, and the kill may land before, during
            # or after it.
            checkpoint = _start_cli(["audit", "checkpoint"], cli_env)
            time.sleep(rng.uniform(min_up, max_up))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            code, out = _answer(checkpoint)
            if code != 0:
                checkpoints_failed.append(out)
            cycle.number = n + 1
            t0 = time.perf_counter()
            # On the same port: the clients keep their base URL.
            proc = _serve_at(url, base, audit_env)
            restarts.append(time.perf_counter() - t0)
        # The last life: the clients' cut-off requests are answered, then they stop.
        time.sleep(min_up)
        stop.set()
        for t in threads:
            t.join(timeout=120)
    finally:
        stop.set()
        proc.terminate()
        proc.wait(timeout=20)
    seconds = time.perf_counter() - started
    acks = [a for t in tallies for a in t.acks]
    lost = _lost(url, acks)
    checkpoint_code, last_head = _dossier_cli(["audit", "checkpoint"], cli_env)
    verify_code, verified = _dossier_cli(["audit", "verify"], cli_env)
    heads = sorted((keep / "heads").glob("*"))
    findings = (
        verified.get("findings", [])
        + verified.get("user_findings", [])
        + verified.get("log", {}).get("findings", [])
    )
    refused = sum((t.refused for t in tallies), Counter())
    server_errors = sum((t.server_errors for t in tallies), Counter())
    per_cycle = Counter(a.cycle for a in acks)
    return {
        "workload": "crash",
        "db": scratch.kind(url),
        "seed": seed,
        "cycles": cycles,
        "clients": clients,
        "seconds": round(seconds, 1),
        "acknowledged": len(acks),
        "acknowledged_per_cycle": [per_cycle.get(n, 0) for n in range(cycles + 1)],
        "resent_after_crash": sum(t.resent for t in tallies),
        "unavailable_503_retried": sum(t.unavailable for t in tallies),
        "lost": len(lost),
        "lost_examples": lost[:10],
        "reads": sum(t.reads for t in tallies),
        "stale_reads": sum(t.stale_reads for t in tallies),
        "refused": dict(refused),
        "server_errors": dict(server_errors),
        "restart_s_median": round(statistics.median(restarts), 2) if restarts else None,
        "heads": len(heads),
        "checkpoints_failed": checkpoints_failed + ([last_head] if checkpoint_code else []),
        "verify_ok": verify_code == 0 and verified.get("ok") is True,
        "dossiers_checked": verified.get("dossiers_checked"),
        "log_tree_size": last_head.get("tree_size"),
        "findings": findings,
    }


def _serve_at(url: str, base: str, env_extra: dict[str, str]) -> subprocess.Popen:
    """`dossier serve` on the port of ``base`` (the port the clients know)."""
    port = base.rsplit(":", 1)[1]
    env = {**os.environ, "DATABASE_URL": url, "EMBEDDED_SCHEDULER": "false", **env_extra}
    exe = Path(sys.executable).parent / "dossier"
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", port],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(240):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not start again")


def failed(figures: dict[str, Any]) -> bool:
    """The run proves nothing was lost only when all of these hold."""
    return bool(
        figures["lost"]
        or figures["findings"]
        or not figures["verify_ok"]
        or figures["checkpoints_failed"]
        or figures["server_errors"]
        or figures["stale_reads"]
    )
