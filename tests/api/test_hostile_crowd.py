"""64 clients register one unit at the same moment, over a real socket and uvicorn's thread pool:
one 201, 409s for the rest, all within 2 s, and no request waits for a pooled connection that
the requests queued behind the writer hold."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from api.app import create_app
from tests.api.helpers import YEAR
from tests.serving import free_port

CLIENTS = 64


@contextmanager
def served() -> Iterator[str]:
    """The app on a local port in this process (the test's database), as `dossier run` serves it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(), host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow
def test_64_concurrent_registrations_of_one_unit_give_one_201_and_409s_within_2_s(api):
    unit = api.world.units["CQ"]
    headers = api.auth(api.world.unit_actor(unit))
    barrier = threading.Barrier(CLIENTS)
    results: list[tuple[int, float, str]] = []

    def register(url: str) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            started = time.monotonic()
            r = client.post(
                f"{url}/api/v1/dossiers",
                json={"unit_id": unit["id"], "year": YEAR},
                headers=headers,
            )
            results.append((r.status_code, time.monotonic() - started, r.text))

    with served() as url:
        threads = [threading.Thread(target=register, args=(url,)) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    codes = sorted(code for code, _, _ in results)
    assert codes == [201] + [409] * (CLIENTS - 1), [text for _, _, text in results][:3]
    slowest = max(took for _, took, _ in results)
    print(f"{CLIENTS} concurrent registrations: slowest answer {slowest:.2f} s")
    assert slowest < 2, f"the slowest answer took {slowest:.1f} s"
    refused = [text for code, _, text in results if code == 409]
    assert all("already" in text for text in refused), refused[0]
