"""The soak script's instruments (the ten-minute run itself is not in CI): the server's RSS as
the kernel reports it, and the plot a run draws."""

from __future__ import annotations

import os

from bench import soak


def test_rss_is_read_from_the_kernel_and_follows_memory():
    before = soak.rss_mb(os.getpid())
    ballast = bytearray(64 * 1024 * 1024)  # touched, so resident
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    assert soak.rss_mb(os.getpid()) >= before + 60
    del ballast


def test_the_plot_is_a_png_of_every_minute(tmp_path):
    minutes = [
        {"minute": m, "requests": 600, "requests_per_s": 10.0, "errors": m % 2, "rss_mb": 150.0}
        for m in (1, 2, 3)
    ]
    figures = {"db": "sqlite", "clients": 8, "minutes": 3, "rss_growth_pct_after_warmup": 0.0}
    out = tmp_path / "plots" / "soak.png"
    soak.plot(minutes, [(0.0, 140.0), (1.5, 150.0), (3.0, 150.0)], out, figures)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
