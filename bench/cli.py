"""`dossier bench ...`: benchmark commands that print one JSON line of figures.

The `dossier` command adds this sub-app (api/cli/main.py); each command imports its benchmark
only when it runs, so `dossier --help` loads none of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

bench_app = typer.Typer(
    no_args_is_help=True,
    help="Benchmarks, each on a scratch database of its own (print one JSON line)",
)

DATABASE_HELP = (
    "an EMPTY database to run on and keep (its URL decides sqlite or postgres); "
    "default: a scratch one, removed at the end"
)


def _db(db: str) -> str:
    if db not in ("sqlite", "postgres"):
        raise typer.BadParameter("--db is sqlite or postgres")
    return db


def _url(database: str | None) -> str | None:
    if database is not None and "://" not in database:
        raise typer.BadParameter(
            f"--database {database!r} is not a database URL: sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/NAME"
        )
    return database


def _print(
    run: Callable[[], dict[str, Any]], failed: Callable[[dict[str, Any]], bool] | None = None
) -> None:
    """Print the run's figures; a refused database is exit 2, figures that fail are exit 1."""
    from bench.scratch import Refused

    try:
        figures = run()
    except Refused as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(json.dumps(figures))
    if failed is not None and failed(figures):
        raise typer.Exit(code=1)


@bench_app.command("lifecycle")
def lifecycle(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    dossiers: int = typer.Option(2000, "--dossiers"),
    connections: int = typer.Option(
        1, "--connections", help="concurrent workers, each with a connection"
    ),
    processes: int = typer.Option(
        None, "--processes", help="processes the workers run in (default: one per core)"
    ),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
    with_keys: bool = typer.Option(
        False, "--idempotency-keys", help="every request carries an Idempotency-Key"
    ),
    with_floor: bool = typer.Option(
        True, "--floor/--no-floor", help="measure `bench floor` first and print it beside"
    ),
) -> None:
    """Register N dossiers, then walk each to recognised through the API's own write path,
    beside the floor measured in the same run."""
    from bench import lifecycle

    _db(db)
    if processes is not None and processes < 1:
        raise typer.BadParameter("--processes is at least 1")
    _print(
        lambda: lifecycle.run(
            db=db,
            dossiers=dossiers,
            connections=connections,
            processes=processes,
            database=database,
            with_keys=with_keys,
            with_floor=with_floor,
        )
    )


@bench_app.command("verify")
def verify(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    events: int = typer.Option(1_000_000, "--events"),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Seed valid five-row trails, then time `audit verify` over all of them."""
    from bench import verify

    _print(lambda: verify.run(db=_db(db), events=events, database=database))


@bench_app.command("log")
def audit_log_bench(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    events: int = typer.Option(1_000_000, "--events"),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Seed valid trails, then time the Merkle log: first and next checkpoint, a dossier's
    inclusion proof, and the log's part of `audit verify`, beside reading every row once."""
    from bench import audit_log

    _print(lambda: audit_log.run(db=_db(db), events=events, database=database))


@bench_app.command("sweep")
def sweep(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    sizes: str = typer.Option("10000,1000000", "--sizes", help="dossier counts, comma-separated"),
    due_pct: float = typer.Option(1.0, "--due-pct"),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP + " (one size only)"),
) -> None:
    """One sweep with due_pct% of the dossiers due, and an idle sweep, at each size."""
    from bench import sweep

    counts = tuple(int(s) for s in sizes.split(","))
    _print(lambda: sweep.run(db=_db(db), sizes=counts, due_pct=due_pct, database=database))


@bench_app.command("api")
def api_bench(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    dossiers: int = typer.Option(500, "--dossiers"),
    clients: int = typer.Option(8, "--clients", help="concurrent HTTP clients"),
    url: str = typer.Option(
        None,
        "--url",
        help="a running server on the empty database named by --database; default: start one",
    ),
    server_workers: int = typer.Option(
        1, "--server-workers", min=1, help=("worker processes of the server the bench starts")
    ),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """K clients walk N dossiers to recognised over HTTP; then /healthz as the ceiling."""
    from bench import http

    _db(db)
    _print(
        lambda: http.run(
            db=db,
            dossiers=dossiers,
            clients=clients,
            url=url,
            server_workers=server_workers,
            database=database,
        )
    )


@bench_app.command("floor")
def floor(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    dossiers: int = typer.Option(2000, "--dossiers"),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """The raw SQL floor on this machine (no framework), to read the other figures against."""
    from bench import floor

    _print(lambda: floor.run(db=_db(db), dossiers=dossiers, database=database))


@bench_app.command("pages")
def pages(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    dossiers: int = typer.Option(10_000, "--dossiers", help="dossiers loaded for the inbox"),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Server time of every role's pages on the demo, then of the inbox at N dossiers."""
    from bench import pages as page_bench

    _print(lambda: page_bench.run(db=_db(db), dossiers=dossiers, database=database))


@bench_app.command("crash")
def crash(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    cycles: int = typer.Option(10, "--cycles", min=1, help="SIGKILLs, each followed by a restart"),
    clients: int = typer.Option(8, "--clients", min=1, help="concurrent HTTP clients"),
    units: int = typer.Option(3000, "--units", min=1, help="units the clients register and walk"),
    min_up: float = typer.Option(0.5, "--min-up", help="shortest life of the server (s)"),
    max_up: float = typer.Option(3.0, "--max-up", help="longest life of the server (s)"),
    seed: int = typer.Option(None, "--seed", help="replay the kill moments of an earlier run"),
    database: str = typer.Option(
        None, "--database", help=DATABASE_HELP + "; or sqlite/postgres, as --db"
    ),
) -> None:
    """Kill the server with SIGKILL at random moments under K clients, restart it, then check
    that every acknowledged change is there and every chain and tree head verifies (exit 1 if
    not)."""
    from bench import crash as crash_bench

    if database in ("sqlite", "postgres"):
        db, database = database, None
    _db(db)
    _url(database)
    if max_up < min_up:
        raise typer.BadParameter("--max-up is at least --min-up")
    _print(
        lambda: crash_bench.run(
            db=db,
            cycles=cycles,
            clients=clients,
            units=units,
            min_up=min_up,
            max_up=max_up,
            seed=seed,
            database=database,
        ),
        crash_bench.failed,
    )


@bench_app.command("soak")
def soak(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    minutes: int = typer.Option(10, "--minutes", min=1),
    clients: int = typer.Option(8, "--clients", min=1, help="concurrent HTTP clients"),
    units: int = typer.Option(None, "--units", help="units to register (default: 1500 a minute)"),
    png: Path = typer.Option(None, "--png", help="draw throughput, errors and RSS here"),
    max_growth: float = typer.Option(
        10.0, "--max-growth", help="the server's RSS may grow this many percent after minute 1"
    ),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Steady mixed load (reads, lists, pages, changes) for N minutes; prints throughput, errors
    and the server's RSS each minute; exit 1 if memory grew past --max-growth or a request
    failed."""
    from bench import soak as soak_bench

    _db(db)
    _url(database)
    _print(
        lambda: soak_bench.run(
            db=db,
            minutes=minutes,
            clients=clients,
            units=units,
            png=png,
            max_growth=max_growth,
            database=database,
        ),
        lambda figures: not figures["flat"] or bool(figures["errors"]),
    )
