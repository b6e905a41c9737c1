"""`dossier demo`, `dossier diagram`, `dossier run`."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.main import app, stderr
from states.lifecycle import markdown_table, mermaid
from workflow import demo, migrate


@app.command("demo")
def demo_cmd(
    if_empty: bool = typer.Option(False, "--if-empty", help="seed only an empty database"),
    year: int = typer.Option(None, "--year"),
) -> None:
    """Seed the demo province (Quảng Ngãi): communes, units, users of every role, dossiers."""
    if if_empty and not demo.is_empty():
        typer.echo("database already has data: demo not seeded")
        return
    result = demo.seed(year)
    typer.echo(
        f"Demo seeded: {result['province']}, year {result['year']}, "
        f"{len(result['dossiers'])} dossiers."
    )
    typer.echo(
        "Sign in at http://127.0.0.1:8000/ with one of these tokens, or call the API with "
        "curl -H 'Authorization: Bearer <token>' ..."
    )
    for u in result["users"]:
        typer.echo(f"  {u['role']:<17} {u['name'][:45]:<45} {u['token']}")
    typer.echo(
        "Try: GET /api/v1/dossiers?awaiting_me=true with a reviewer's token; "
        "open http://127.0.0.1:8000/docs"
    )


README_BEGIN = "<!-- lifecycle:begin -->"
README_END = "<!-- lifecycle:end -->"


def readme_block() -> str:
    return f"{README_BEGIN}\n```mermaid\n{mermaid()}```\n\n{markdown_table()}{README_END}"


@app.command("diagram")
def diagram(
    readme: Path = typer.Option(
        None, "--write-readme", help="rewrite the lifecycle block of this README"
    ),
) -> None:
    """Print the lifecycle as a Mermaid diagram, built from the same table as the Machine."""
    if readme is None:
        typer.echo(mermaid(), nl=False)
        return
    text = readme.read_text()
    start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    readme.write_text(text[:start] + readme_block() + text[end:])
    typer.echo(f"{readme}: lifecycle block rewritten")


@app.command("run")
def run(
    host: str = "127.0.0.1",
    port: int = 8000,
    seed: bool = typer.Option(True, "--seed/--no-seed", help="seed the demo when empty"),
) -> None:
    """Migrate, seed the demo province on first run, and serve the API with its scheduler."""
    migrate.upgrade()
    if seed and demo.is_empty():
        demo_cmd(if_empty=True, year=None)
    _demo_signing_key()
    from api.cli.serve_cmd import serve

    serve(host=host, port=port, workers=1)


def _demo_signing_key() -> None:
    """The demo signs tree heads with a key made beside its database on first run, and writes a
    first head. In production AUDIT_KEY_FILE names a key the database's owner cannot read."""
    from workflow import checkpoints, tree_heads

    if checkpoints.key_file() is None:
        tree_heads.generate_key(checkpoints.demo_key_file())
    written = checkpoints.checkpoint()
    stderr(
        f"tree head of {written.head.tree_size} audit rows in {checkpoints.heads_dir()}/, signed "
        f"with {checkpoints.key_file()}"
    )
