"""Benchmarks, kept apart from the product: the server never imports this package (an
import-linter contract in pyproject.toml holds it); only the `dossier` command adds
`bench.cli` as `dossier bench ...` for operators measuring their hardware."""
