"""`dossier bench ...`: benchmark commands that print one JSON line of figures."""

from __future__ import annotations

import json

import typer

from api.cli.main import app

bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (print one JSON line)")
app.add_typer(bench_app, name="bench")


@bench_app.command("lifecycle")
def lifecycle(db: str = typer.Option("sqlite", "--db", help="sqlite or postgres"),
              dossiers: int = typer.Option(2000, "--dossiers"),
              connections: int = typer.Option(1, "--connections")) -> None:
    """Register N dossiers, then walk each to recognised through fire()."""
    from workflow import bench

    if db not in ("sqlite", "postgres"):
        raise typer.BadParameter("--db is sqlite or postgres")
    typer.echo(json.dumps(bench.run(db=db, dossiers=dossiers, connections=connections)))
