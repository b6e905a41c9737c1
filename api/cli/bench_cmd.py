"""`dossier bench ...`: benchmark commands that print one JSON line of figures."""

from __future__ import annotations

import json

import typer

from api.cli.main import app

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (print one JSON line)")
app.add_typer(bench_app, name="bench")


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
    with_keys: bool = typer.Option(
        False, "--idempotency-keys", help="every request carries an Idempotency-Key"
    ),
) -> None:
    """Register N dossiers, then walk each to recognised through the API's own write path."""
    from workflow import bench

    if db not in ("sqlite", "postgres"):
        raise typer.BadParameter("--db is sqlite or postgres")
    if processes is not None and processes < 1:
        raise typer.BadParameter("--processes is at least 1")
    typer.echo(
        json.dumps(
            bench.run(
                db=db,
                dossiers=dossiers,
                connections=connections,
                processes=processes,
                with_keys=with_keys,
            )
        )
    )


@bench_app.command("verify")
def verify(
    db: str = typer.Option("sqlite", "--db"), events: int = typer.Option(1_000_000, "--events")
) -> None:
    """Seed valid five-row trails, then time `audit verify` over all of them."""
    from workflow import bench

    typer.echo(json.dumps(bench.run_verify(db=db, events=events)))


@bench_app.command("sweep")
def sweep(
    db: str = typer.Option("sqlite", "--db"),
    sizes: str = typer.Option("10000,1000000", "--sizes", help="dossier counts, comma-separated"),
    due_pct: float = typer.Option(1.0, "--due-pct"),
) -> None:
    """One sweep with due_pct% of the dossiers due, and an idle sweep, at each size."""
    from scheduler import bench

    typer.echo(
        json.dumps(bench.run(db=db, sizes=tuple(int(s) for s in sizes.split(",")), due_pct=due_pct))
    )


@bench_app.command("api")
def api_bench(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    dossiers: int = typer.Option(500, "--dossiers"),
    clients: int = typer.Option(8, "--clients", help="concurrent HTTP clients"),
    url: str = typer.Option(
        None,
        "--url",
        help="a running server on the same database (DATABASE_URL); default: start one",
    ),
    server_workers: int = typer.Option(
        1, "--server-workers", min=1, help=("worker processes of the server the bench starts")
    ),
) -> None:
    """K clients walk N dossiers to recognised over HTTP; then /healthz as the ceiling."""
    from api import bench

    if db not in ("sqlite", "postgres"):
        raise typer.BadParameter("--db is sqlite or postgres")
    typer.echo(
        json.dumps(
            bench.run(
                db=db, dossiers=dossiers, clients=clients, url=url, server_workers=server_workers
            )
        )
    )


@bench_app.command("floor")
def floor(
    db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
    dossiers: int = typer.Option(2000, "--dossiers"),
) -> None:
    """The raw SQL floor on this machine (no framework), to read the other figures against."""
    from workflow import bench

    typer.echo(json.dumps(bench.run_floor(db=db, dossiers=dossiers)))
