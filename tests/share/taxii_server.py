"""A real TAXII 2.1 server (medallion, memory backend) on a loopback port, for the share tests.

``serve(tmp_path)`` starts ``medallion`` (through ``medallion_launcher.py``, which fixes its reading of objects that
have a ``version`` property) in a subprocess with one API root (``api1``) and two collections (one
readable and writable, one read-only), waits until discovery answers, and yields a :class:`Server`; the process is
ended (by its own id) when the test leaves.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
READ_ONLY = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"
USER, PASSWORD = "peer", "s3cret-Peer-pw"
MEDIA = "application/taxii+json;version=2.1"


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    page_size: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _data() -> dict:
    def collection(cid: str, title: str, write: bool) -> dict:
        return {
            "id": cid,
            "title": title,
            "can_read": True,
            "can_write": write,
            "media_types": ["application/stix+json;version=2.1"],
            "objects": [],
            "manifest": [],
        }

    return {
        "/discovery/": {
            "title": "loopback TAXII",
            "default": "http://127.0.0.1/api1/",
            "api_roots": ["http://127.0.0.1/api1/"],
        },
        "api1": {
            "information": {"title": "tips", "versions": [MEDIA], "max_content_length": 50_000_000},
            "status": [],
            "collections": [collection(COLLECTION, "tips", True), collection(READ_ONLY, "read only", False)],
        },
    }


@contextlib.contextmanager
def serve(tmp_path: Path, page_size: int = 25) -> Iterator[Server]:
    data = tmp_path / "taxii_data.json"
    data.write_text(json.dumps(_data()))
    config = tmp_path / "taxii_config.json"
    config.write_text(
        json.dumps(
            {
                "backend": {
                    "module_class": "MemoryBackend",
                    "module": "medallion.backends.memory_backend",
                    "filename": str(data),
                },
                "users": {USER: PASSWORD},
                "taxii": {"max_page_size": page_size},
            }
        )
    )
    port = free_port()
    launcher = Path(__file__).with_name("medallion_launcher.py")
    log = open(tmp_path / "medallion.log", "w")  # noqa: SIM115  (closed below, after the process)
    proc = subprocess.Popen(
        [sys.executable, str(launcher), "--host", "127.0.0.1", "--port", str(port), str(config)], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.get(f"{url}/taxii2/", auth=(USER, PASSWORD), headers={"Accept": MEDIA}, timeout=2)
                r.close()
                if r.status_code < 500:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"medallion did not start: {(tmp_path / 'medallion.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield Server(url, proc, page_size)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
