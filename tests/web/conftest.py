"""Fixtures for the console tests: one planted workspace per test session (``console_data``), users, and a real
server on a free loopback port (uvicorn in a thread), so that tests speak HTTP to it like a browser does."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from flockwatch.web import create_app

from . import console_data, users

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _fast_password_hashing():
    """The console tests keep the real argon2 parameters. The suite-wide cheap hasher is patched per test, while the
    console's users and signed-in clients live for a whole session or module: a sign-in inside a test would then
    find the stored hash in need of a rehash, store a new one, and so end every other session of that user."""


@dataclass
class Server:
    url: str
    workspace: Path
    app: Any


@pytest.fixture(scope="session")
def planted_workspace(tmp_path_factory) -> Path:
    ws = console_data.build(tmp_path_factory.mktemp("console"))
    users.add_users(ws)
    return ws


@pytest.fixture
def workspace_copy(planted_workspace, tmp_path) -> Path:
    """A private copy of the planted workspace (for tests that write to it)."""
    dst = tmp_path / "ws"
    shutil.copytree(planted_workspace, dst, ignore=shutil.ignore_patterns("console"))
    return dst


def serve(workspace: Path, refresh_interval_s: float = 0.5) -> Iterator[Server]:
    app = create_app(workspace, refresh_interval_s=refresh_interval_s)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Server(f"http://127.0.0.1:{port}", workspace, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def console(planted_workspace) -> Iterator[Server]:
    """The console over the shared planted workspace."""
    yield from serve(planted_workspace)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium package is not installed (/usr/bin/chromium); see .ci/apt-packages.txt")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()
