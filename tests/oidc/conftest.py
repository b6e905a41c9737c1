"""A real OpenID provider (node-oidc-provider, tests/oidc/provider.mjs) on a free loopback port,
and a browser that walks its login and consent forms."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from api import oidc
from tests.api.conftest import api  # noqa: F401  (the app over httpx, on the test database)
from workflow.settings import get_settings

HERE = Path(__file__).parent
CLIENT_ID = "antt-dossier"
CLIENT_SECRET = "client-secret-for-tests-7f3a9c"
REDIRECT_URI = "http://testserver/auth/oidc/callback"
ACCOUNTS = {"alice": "alice@example.vn", "mallory": "mallory@example.vn"}


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_provider() -> Iterator[Provider]:
    if not (HERE / "node_modules" / "oidc-provider").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)
    port = _free_port()
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": REDIRECT_URI,
        "ACCOUNTS": json.dumps(ACCOUNTS),
    }
    process = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=HERE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    provider = Provider(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(provider.issuer + "/.well-known/openid-configuration").is_success:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test OpenID provider did not start")
            time.sleep(0.2)
        yield provider
    finally:
        provider.stop()


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    with running_provider() as p:
        yield p


def configure(monkeypatch, issuer: str, **extra: str) -> None:
    settings = {
        "AUTH_MODE": "both",
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_REDIRECT_URI": REDIRECT_URI,
        "OIDC_MATCH_CLAIM": "email",
        **extra,
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    oidc.forget()


@pytest.fixture(autouse=True)
def _fresh_settings():
    yield
    get_settings.cache_clear()
    oidc.forget()


def walk_provider(start_url: str, login: str) -> str:
    """A browser at the provider: fill in its login and consent forms; return the URL it sends
    the browser back to (our callback, not followed)."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        url = start_url
        for _ in range(12):
            if url.startswith("http://testserver"):
                return url
            r = browser.get(url)
            if r.is_redirect:
                url = urljoin(url, r.headers["location"])
                continue
            assert r.status_code == 200, r.text[:500]
            action = re.search(r'<form[^>]*action="([^"]+)"', r.text)
            prompt = re.search(r'name="prompt" value="([^"]+)"', r.text)
            assert action and prompt, r.text[:500]
            form = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                form |= {"login": login, "password": "any password"}
            posted = browser.post(urljoin(url, action.group(1)), data=form)
            assert posted.is_redirect, posted.text[:500]
            url = urljoin(url, posted.headers["location"])
        raise AssertionError("the provider never sent the browser back")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
