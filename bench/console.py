"""Benchmark: the analyst console under 50 concurrent signed-in users on loopback.

Starts ``flockwatch serve`` on a workspace that holds a finished detection run (e.g. 1M simulated actions), adds
``--users`` analysts to the workspace's store (argon2-hashed passwords, as in production), signs each in through
the login form (CSRF token and all), then lets every user loop over the pages an analyst uses most — the queue (first
page, a filtered page, a hashtag search) and the network page of one of the top networks (the page itself, plus
its lazily loaded sections and graph JSON, as the browser asks for them) — until ``--requests`` requests were made or
``--duration-s`` passed. Latency is measured per request from send to the last byte.

The machine has 2 cores, shared by the server and the load generator: the server is pinned to core 0 and the load
generator to core 1 (``os.sched_setaffinity``; ``--server-cores`` / ``--client-cores`` change the split), so that
the measured latency is the server's on one core, not a fight between both processes over two. The first request
of each network's sections computes and caches them (per snapshot): the benchmark asks for those of the
``--networks`` networks it uses one by one before the load and reports those first answers apart.

    .venv/bin/python bench/console.py --workspace /tmp/bench1m/ws --users 50 --requests 5000

Prints a table (page, requests, p50, p95, p99, max in ms, errors) and writes bench/results/console.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cores(spec: str) -> set[int]:
    return {int(c) for c in spec.split(",") if c.strip()}


def add_users(workspace: Path, n: int, password: str) -> list[str]:
    """``n`` analysts with argon2-hashed passwords in the workspace's store (through the library: 50 CLI processes
    take minutes on a loaded 2-core machine; the accounts are the same). Existing ``benchNN`` users are kept."""
    from flockwatch.store.users import add_user, list_users
    from flockwatch.workspace import ops_store

    store = ops_store(workspace)
    have = {u.name for u in list_users(store)}
    names = [f"bench{i:02d}" for i in range(n)]
    for name in names:
        if name not in have:
            add_user(store, name, "analyst", password)
    return names


async def sign_in(base: str, name: str, password: str) -> httpx.AsyncClient:
    c = httpx.AsyncClient(base_url=base, timeout=120, limits=httpx.Limits(max_connections=2))
    form = await c.get("/login")
    token = CSRF.search(form.text)
    if token is None:
        raise SystemExit("no CSRF token in /login")
    r = await c.post("/login", data={"username": name, "password": password, "csrf_token": token.group(1)})
    if r.status_code != 303:
        raise SystemExit(f"sign-in of {name} answered {r.status_code}")
    return c


async def run_load(
    base: str, names: list[str], password: str, n_requests: int, duration_s: float, seed: int, n_networks: int
) -> dict:
    clients = [await sign_in(base, n, password) for n in names]
    queue = (await clients[0].get("/queue")).text
    nets = re.findall(r'href="(/runs/[^"]+/networks/N\d+)"', queue)[:n_networks]
    tags = re.findall(r"h:([^<\s]+)", queue)[:5] or ["hongkong"]
    if not nets:
        raise SystemExit("the queue shows no network: run `flockwatch detect` on the workspace first")
    pages = {
        "queue": lambda r: "/queue",
        "queue_filtered": lambda r: f"/queue?flagged=all&min_size=5&page={r.randint(1, 3)}",
        "queue_search": lambda r: f"/queue?q=%23{r.choice(tags)}&kind=hashtag",
        "network": lambda r: r.choice(nets),
        "network_sections": lambda r: r.choice(nets) + "/sections",
        "network_graph": lambda r: r.choice(nets) + "/graph.json",
    }
    samples: dict[str, list[float]] = {k: [] for k in pages}
    cold: dict[str, list[float]] = {"network_sections": [], "network_graph": []}
    # the first answer of a network's sections and graph computes them (charts, narratives against the whole
    # platform, signals) and caches them per snapshot: measured here one by one, before the load
    for net in nets:
        for kind, suffix in (("network_sections", "/sections"), ("network_graph", "/graph.json")):
            t0 = time.perf_counter()
            r = await clients[0].get(net + suffix, timeout=1800)
            if r.status_code == 200:
                cold[kind].append((time.perf_counter() - t0) * 1000)
    errors: dict[str, int] = dict.fromkeys(pages, 0)
    budget = {"left": n_requests}
    stop_at = time.monotonic() + duration_s

    async def user(i: int, c: httpx.AsyncClient) -> None:
        rng = random.Random(seed + i)
        kinds = list(pages)
        while budget["left"] > 0 and time.monotonic() < stop_at:
            budget["left"] -= 1
            kind = rng.choice(kinds)
            url = pages[kind](rng)
            t0 = time.perf_counter()
            try:
                r = await c.get(url)
                _ = r.content
            except httpx.HTTPError:
                errors[kind] += 1
                continue
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                errors[kind] += 1
                continue
            samples[kind].append(ms)

    began = time.monotonic()
    await asyncio.gather(*(user(i, c) for i, c in enumerate(clients)))
    wall = time.monotonic() - began
    for c in clients:
        await c.aclose()
    return {"samples": samples, "cold": cold, "errors": errors, "wall_s": wall}


def pct(xs: list[float], p: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--duration-s", type=float, default=180.0)
    ap.add_argument("--server-cores", default="0")
    ap.add_argument("--client-cores", default="1")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--networks", type=int, default=5, help="how many of the top networks the users open")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "console.json")
    args = ap.parse_args()

    password = "bench-password-1"
    names = add_users(args.workspace, args.users, password)
    port = free_port()
    server_cores = cores(args.server_cores)
    server = subprocess.Popen(
        [sys.executable, "-m", "flockwatch", "serve", "--workspace", str(args.workspace), "--host", "127.0.0.1",
         "--port", str(port)],
        preexec_fn=lambda: os.sched_setaffinity(0, server_cores),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    os.sched_setaffinity(0, cores(args.client_cores))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/login", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the console did not start: {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.5)
        result = asyncio.run(run_load(base, names, password, args.requests, args.duration_s, args.seed, args.networks))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    rows = []
    all_ms: list[float] = []
    for kind, xs in result["samples"].items():
        all_ms += xs
        rows.append(
            {
                "page": kind,
                "requests": len(xs),
                "p50_ms": pct(xs, 50),
                "p95_ms": pct(xs, 95),
                "p99_ms": pct(xs, 99),
                "max_ms": max(xs) if xs else None,
                "errors": result["errors"][kind],
            }
        )
    for kind, xs in result["cold"].items():
        rows.append(
            {
                "page": kind + " (first, alone)",
                "requests": len(xs),
                "p50_ms": pct(xs, 50),
                "p95_ms": pct(xs, 95),
                "p99_ms": pct(xs, 99),
                "max_ms": max(xs) if xs else None,
                "errors": 0,
            }
        )
    rows.append(
        {
            "page": "all (cached)",
            "requests": len(all_ms),
            "p50_ms": pct(all_ms, 50),
            "p95_ms": pct(all_ms, 95),
            "p99_ms": pct(all_ms, 99),
            "max_ms": max(all_ms) if all_ms else None,
            "errors": sum(result["errors"].values()),
        }
    )
    print(f"{'page':34} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'err':>4}")
    for r in rows:
        f = lambda v: f"{v:8.1f}" if v is not None else f"{'-':>8}"  # noqa: E731
        print(
            f"{r['page']:34} {r['requests']:>6} {f(r['p50_ms'])} {f(r['p95_ms'])} {f(r['p99_ms'])} {f(r['max_ms'])} "
            f"{r['errors']:>4}"
        )
    total = sum(r["requests"] for r in rows if r["page"] == "all (cached)")
    print(f"{total} requests in {result['wall_s']:.1f} s ({total / result['wall_s']:.0f}/s), {args.users} users")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    info = {}
    try:
        from flockwatch.workspace import Workspace

        with Workspace.open(args.workspace, read_only=True) as ws:
            info = ws.info()["tables"]
    except Exception as exc:  # the table counts are context only
        info = {"error": str(exc)}
    args.out.write_text(
        json.dumps(
            {
                "workspace_tables": info,
                "users": args.users,
                "server_cores": sorted(server_cores),
                "client_cores": sorted(cores(args.client_cores)),
                "wall_s": round(result["wall_s"], 2),
                "rows": rows,
                "median_of_all_ms": statistics.median(all_ms) if all_ms else None,
                "loadavg_after": os.getloadavg(),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
