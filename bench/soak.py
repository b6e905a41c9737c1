"""`dossier bench soak`: N minutes of steady mixed load on one server; memory must stay flat.

On a scratch database of its own (``bench.scratch``) the bench starts `dossier serve` and K
clients, each in a closed loop: reads of its dossiers, lists of its commune's dossiers, page
loads (the inbox and a dossier it links to, signed in on the web as a commune's reviewer), and
changes (``bench.walker``: registrations and events to recognised). Every minute it prints one
JSON line: requests, throughput, errors (any status but the expected) and the server's RSS (VmRSS
of its process). At the end it draws the three per minute as a PNG (``--png``, matplotlib: the
``soak`` extra) and fails when the RSS grew by more than ``--max-growth`` percent from the end of
the warm-up minute to the end of the run. Then the same clients on /healthz for ten seconds give
the floor (the framework's ceiling on this machine) to read the throughput against.
"""

from __future__ import annotations

import json
import random
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench import scratch
from bench.http import _seed, _serve
from bench.walker import DOSSIERS, Walker
from states.lifecycle import Role

MIX = (("read", 0.35), ("list", 0.2), ("page", 0.15), ("change", 0.3))
PAGE_LINK = re.compile(r'href="/dossiers/(\d+)"')


def rss_mb(pid: int) -> float:
    """The process's resident set (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class Minutes:
    """Requests and errors counted into the minute they finished in."""

    def __init__(self, started: float) -> None:
        self.started, self.lock = started, threading.Lock()
        self.requests: Counter[int] = Counter()
        self.errors: Counter[int] = Counter()
        self.kinds: Counter[str] = Counter()
        self.error_examples: Counter[str] = Counter()

    def count(self, kind: str, r: httpx.Response, ok: bool) -> None:
        minute = int((time.perf_counter() - self.started) // 60)
        with self.lock:
            self.requests[minute] += 1
            self.kinds[kind] += 1
            if not ok:
                self.errors[minute] += 1
                self.error_examples[f"{kind} {r.status_code} {r.text[:120]}"] += 1


def _pick(rng: random.Random) -> str:
    x = rng.random()
    for kind, share in MIX:
        if x < share:
            return kind
        x -= share
    return MIX[-1][0]


def _client(
    base: str,
    walker: Walker,
    reviewer_token: str,
    until: float,
    minutes: Minutes,
) -> None:
    rng = walker.rng
    with (
        httpx.Client(base_url=base, timeout=30) as api,
        httpx.Client(base_url=base, timeout=30) as web,
    ):
        r = web.post("/login", data={"token": reviewer_token, "next": "/"}, follow_redirects=False)
        if r.status_code != 303:
            raise SystemExit(f"sign-in refused: {r.status_code} {r.text[:200]}")
        bearer = {"Authorization": f"Bearer {reviewer_token}"}
        while time.perf_counter() < until:
            kind = _pick(rng)
            target = walker.read_target()
            if kind == "change" and walker.has_work():
                change = walker.next_change()
                r = api.post(change.url, headers=change.headers, json=change.json)
                minutes.count(kind, r, walker.answered(change, r) is not None)
            elif kind == "list":
                r = api.get(f"{DOSSIERS}?limit=20", headers=bearer)
                minutes.count(kind, r, r.status_code == 200)
            elif kind == "page":
                # The inbox, then one of the dossiers it links to, as a reviewer would.
                r = web.get("/")
                minutes.count(kind, r, r.status_code == 200)
                links = PAGE_LINK.findall(r.text)
                if links:
                    r = web.get(f"/dossiers/{rng.choice(links)}")
                    minutes.count(kind, r, r.status_code == 200)
            elif target is not None:
                url, headers, _ = target
                r = api.get(url, headers=headers)
                minutes.count("read", r, r.status_code == 200)
            else:
                r = api.get("/healthz")
                minutes.count("read", r, r.status_code == 200)


def _healthz_floor(base: str, clients: int, seconds: float = 10.0) -> float:
    """The same clients on /healthz for a few seconds after the load: the framework's own
    ceiling on this machine, to read the throughput against."""
    done = Counter[int]()
    until = time.perf_counter() + seconds

    def hammer(i: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.perf_counter() < until:
                if http.get("/healthz").status_code == 200:
                    done[i] += 1

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return round(sum(done.values()) / seconds, 1)


def run(
    db: str = "sqlite",
    minutes: int = 10,
    clients: int = 8,
    units: int | None = None,
    png: Path | None = None,
    max_growth: float = 10.0,
    database: str | None = None,
    echo: Any = None,
) -> dict[str, Any]:
    with scratch.database(db, database) as url:
        return _run(url, minutes, clients, units or 1500 * minutes, png, max_growth, echo)


def _run(
    url: str,
    n_minutes: int,
    clients: int,
    n_units: int,
    png: Path | None,
    max_growth: float,
    echo: Any,
) -> dict[str, Any]:
    echo = echo or (lambda line: print(line, file=sys.stderr, flush=True))
    units, unit_tokens, seat_tokens = _seed(url, n_units)
    # The clock stays off (as in the other HTTP benches): the load is what the server does.
    proc, base = _serve(url)
    rng = random.Random(17)
    started = time.perf_counter()
    until = started + 60 * n_minutes
    counted = Minutes(started)
    threads = []
    for i in range(clients):
        mine = units[i::clients]
        reviewer = seat_tokens[(Role.COMMUNE_REVIEWER, mine[0]["commune_code"])]
        walker = Walker(mine, unit_tokens, seat_tokens, random.Random(rng.random()))
        threads.append(
            threading.Thread(
                target=_client, args=(base, walker, reviewer, until, counted), daemon=True
            )
        )
    rss = [rss_mb(proc.pid)]
    samples: list[tuple[float, float]] = [(0.0, rss[0])]
    per_minute: list[dict[str, Any]] = []
    try:
        for t in threads:
            t.start()
        for minute in range(n_minutes):
            # Every 10 s for the plot's RSS line; the minute's figure is its last sample.
            for tick in range(1, 7):
                time.sleep(max(0.0, started + 60 * minute + 10 * tick - time.perf_counter()))
                samples.append((minute + tick / 6, rss_mb(proc.pid)))
            rss.append(samples[-1][1])
            # The minute just ended may still see a request or two finish: read it a moment on.
            time.sleep(0.5 if minute == n_minutes - 1 else 0)
            line = {
                "minute": minute + 1,
                "requests": counted.requests[minute],
                "requests_per_s": round(counted.requests[minute] / 60, 1),
                "errors": counted.errors[minute],
                "rss_mb": round(rss[-1], 1),
            }
            per_minute.append(line)
            echo(json.dumps(line))
        for t in threads:
            t.join(timeout=60)
        floor = _healthz_floor(base, clients)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # The first minute fills caches, pools and the allocator's arenas: growth counts after it.
    warm = rss[1] if n_minutes > 1 else rss[0]
    growth = (rss[-1] - warm) / warm * 100
    figures = {
        "workload": "soak",
        "db": scratch.kind(url),
        "minutes": n_minutes,
        "clients": clients,
        "requests": sum(counted.requests.values()),
        "requests_per_s": round(sum(counted.requests.values()) / (60 * n_minutes), 1),
        "healthz_floor_requests_per_s": floor,
        "errors": sum(counted.errors.values()),
        "error_examples": dict(counted.error_examples.most_common(5)),
        "by_kind": dict(counted.kinds),
        "rss_mb_start": round(rss[0], 1),
        "rss_mb_after_warmup": round(warm, 1),
        "rss_mb_end": round(rss[-1], 1),
        "rss_growth_pct_after_warmup": round(growth, 1),
        "max_growth_pct": max_growth,
        "flat": growth <= max_growth,
        "per_minute": per_minute,
    }
    if png is not None:
        plot(per_minute, samples, png, figures)
        figures["png"] = str(png)
    return figures


def plot(
    per_minute: list[dict[str, Any]], samples: list[tuple[float, float]], png: Path, figures: dict
) -> None:
    """Throughput, errors and RSS per minute, one panel each, into ``png``."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit(
            'the plot needs matplotlib: pip install -e ".[soak]" (or omit --png)'
        ) from None
    matplotlib.use("Agg")  # a file, no display
    import matplotlib.pyplot as plt

    x = [m["minute"] for m in per_minute]
    fig, (top, mid, low) = plt.subplots(3, 1, figsize=(8, 7), sharex=True)
    top.plot(x, [m["requests_per_s"] for m in per_minute], marker="o")
    top.set_ylabel("requests/s")
    top.set_ylim(bottom=0)
    mid.bar(x, [m["errors"] for m in per_minute], color="tab:red")
    mid.set_ylabel("errors")
    mid.set_ylim(bottom=0, top=max(1, *(m["errors"] for m in per_minute)))
    low.plot([t for t, _ in samples], [mb for _, mb in samples], color="tab:green")
    low.set_ylabel("server RSS (MiB)")
    low.set_ylim(bottom=0)
    low.set_xlabel("minute")
    fig.suptitle(
        f"dossier bench soak: {figures['db']}, {figures['clients']} clients, "
        f"{figures['minutes']} min; RSS {figures['rss_growth_pct_after_warmup']:+.1f}% after warm-up"
    )
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)
