"""The analyst console: an ASGI application serving server-rendered pages over one workspace.

Why FastAPI: it is Starlette underneath (the ASGI toolkit, its test client and its static-file server) with typed
query and path parameters that reject bad input with a 422 before a handler runs; the console needs nothing of
Litestar's extras that matters here (its CSRF and session middlewares are cookie-based, and the console must end a
user's sessions on the server when a role or password changes, which takes server-side sessions anyway). Pages are
Jinja2 templates with autoescaping on for every template; HTMX swaps fragments (queue filtering, a link's evidence,
paging) and Cytoscape.js draws the network. Both are vendored under ``static/`` with their licences: no CDN, no
build step, and a Content-Security-Policy that allows scripts and styles from the console itself only.

Consumes a workspace directory and a :class:`~flockwatch.web.auth.Directory` of users; produces a FastAPI app. It
reads the warehouse through :class:`~flockwatch.web.snapshot.WarehouseSnapshots` (pages stay up while the workspace
is written) and calls library functions only — no SQL here. To add a page: a library function in its domain package,
a handler here, a template in ``templates/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from flockwatch.accounts import account_actions, account_memberships, account_profiles, actions_by_ids
from flockwatch.core import runs
from flockwatch.errors import FlockwatchError, RefusedError, ValidationError
from flockwatch.networks import Operation, explain_pair, load_operations
from flockwatch.networks.browse import network_edges_page, network_graph, network_members_page
from flockwatch.networks.export import export_network
from flockwatch.networks.queue import SEARCH_KINDS, QueueQuery, network_queue, network_summary
from flockwatch.policy import Registry, appeals, determinations
from flockwatch.report import build_report, collect_report_data, stored_network_edges
from flockwatch.review import audit
from flockwatch.review.actions import ACTION_KINDS, ReviewRules, approve, propose
from flockwatch.review.cases import CASE_STATUSES, get_case, list_cases, open_case
from flockwatch.review.subjects import cases_of_subject
from flockwatch.signals import compute_signals
from flockwatch.signals.working_hours import format_offset
from flockwatch.store import Store
from flockwatch.web.auth import Forbidden, Principal, require_role
from flockwatch.web.directory import StoreDirectory
from flockwatch.web.jobs import JOB_KINDS, JobRunner
from flockwatch.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    LoginRateLimiter,
    Session,
    SessionStore,
    csrf_ok,
)
from flockwatch.web.snapshot import NoSnapshotError, WarehouseSnapshots
from flockwatch.workspace import Workspace, ops_store

HERE = Path(__file__).parent
PAGE_SIZE = 50
REPORT_CACHE_ENTRIES = 64


class _NeedLogin(Exception):
    pass


class _BadCsrf(Exception):
    pass


@dataclass
class Ctx:
    """What every signed-in handler has: the request, its session and the user as the directory knows them now."""

    request: Request
    session: Session
    user: Principal


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name: data from platforms is hostile
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        finalize=show_controls,
    )
    env.filters["q"] = lambda v: markupsafe.Markup(urllib.parse.quote(str(v), safe=""))
    env.filters["href"] = safe_href
    env.filters["when"] = _when
    env.filters["num"] = lambda v, d=2: "" if v is None else f"{float(v):.{d}f}"
    env.globals["format_offset"] = format_offset
    return env


#: bidirectional embedding, override and isolate controls: text from the data may use them to make a handle or a
#: file name read backwards ("Trojan Source"); the console shows them as visible marks instead of obeying them
_BIDI_CONTROLS = {c: f"\u27e6U+{c:04X}\u27e7" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
#: a page is for reading: a value longer than this is shown clipped, with how much was left out (exports carry it
#: whole). Measured: an account page with 42 posts of 10,000 letters did not paint within 30 s in headless Chromium.
MAX_SHOWN_CHARS = 2_000
#: break opportunities in long unbroken runs (a handle of 500 letters must not widen a table column off the page)
_RUN_CHARS = 60
_LONG_RUN = re.compile(rf"\S{{{_RUN_CHARS}}}(?=\S)")


def show_controls(value: Any) -> Any:
    """Every value a template prints: bidi controls shown as visible ``⟦U+202E⟧`` marks instead of obeyed, clipped
    to :data:`MAX_SHOWN_CHARS`, and long unbroken runs given break opportunities. Values already marked safe (escaped URLs for attributes, the charts'
    SVG) keep their characters apart from the bidi marks."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(str(value).translate(_BIDI_CONTROLS))
    if isinstance(value, str):
        shown = value.translate(_BIDI_CONTROLS)
        if len(shown) > MAX_SHOWN_CHARS:
            shown = f"{shown[:MAX_SHOWN_CHARS]}… [{len(shown) - MAX_SHOWN_CHARS:,} more characters not shown]"
        return _LONG_RUN.sub(lambda m: m.group(0) + "\u200b", shown) if len(shown) > _RUN_CHARS else shown
    return value


def safe_href(url: Any) -> markupsafe.Markup | str:
    """``url`` when it is an http(s) URL, else "" (a ``javascript:`` or ``data:`` link from the data never
    becomes a link)."""
    text = str(url or "").strip()
    try:
        scheme = urllib.parse.urlsplit(text).scheme.lower()
    except ValueError:  # an unparsable URL (a stray bracket in the host) is no link
        return ""
    return markupsafe.escape(text) if scheme in ("http", "https") else ""


def _when(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return str(v)


class Console:
    """The state behind one console: snapshots, sessions, the sign-in limiter, caches."""

    def __init__(
        self,
        workspace_dir: Path,
        store: Store,
        secure_cookies: bool = False,
        refresh_interval_s: float = 2.0,
        pool_size: int = 4,
    ) -> None:
        self.workspace_dir = workspace_dir
        self.store = store
        self.directory = StoreDirectory(store)
        self.snapshots = WarehouseSnapshots(workspace_dir, pool_size=pool_size)
        self.sessions = SessionStore()
        self.jobs = JobRunner(workspace_dir)
        self.limiter = LoginRateLimiter()
        self.env = _env()
        self.secure_cookies = secure_cookies
        self.refresh_interval_s = refresh_interval_s
        self._report_cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._key_locks: dict[tuple[Any, ...], threading.Lock] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.snapshots.refresh_quietly()
        self.snapshots.adopt_previous()
        self.snapshots.drop_stale_files()
        self._thread = threading.Thread(target=self._refresher, name="snapshot-refresh", daemon=True)
        self._thread.start()

    def _refresher(self) -> None:
        while not self._stop.wait(self.refresh_interval_s):
            self.snapshots.refresh_quietly()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.snapshots.close()

    @contextmanager
    def ws(self) -> Iterator[Workspace]:
        with self.snapshots.workspace() as ws:
            yield ws

    def cached(self, key: tuple[Any, ...], make: Callable[[Workspace], dict[str, Any]]) -> dict[str, Any]:
        """A per-snapshot cache of expensive page sections (charts, narratives, signals of a network).

        ``make`` gets a workspace of its own: a request that waits for another one computing the same key (one
        computation per key at a time, the others wait for its answer) holds no engine of the pool meanwhile."""
        full = (self.snapshots.signature_of_current(), *key)
        with self._cache_lock:
            if full in self._report_cache:
                self._report_cache.move_to_end(full)
                return self._report_cache[full]
            key_lock = self._key_locks.setdefault(full, threading.Lock())
        with key_lock:
            with self._cache_lock:
                if full in self._report_cache:
                    return self._report_cache[full]
            try:
                with self.ws() as ws:
                    value = make(ws)
                with self._cache_lock:
                    self._report_cache[full] = value
                    while len(self._report_cache) > REPORT_CACHE_ENTRIES:
                        self._report_cache.popitem(last=False)
            finally:
                with self._cache_lock:
                    self._key_locks.pop(full, None)
        return value

    # -- rendering ----------------------------------------------------------------------------------------------
    def render(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        session: Session | None = getattr(request.state, "session", None)
        user: Principal | None = getattr(request.state, "user", None)
        html = self.env.get_template(name).render(
            user=user,
            csrf=session.csrf if session else "",
            csrf_field=CSRF_FIELD,
            snapshot_age_s=self._snapshot_age(),
            refresh_error=self.snapshots.last_refresh_error,
            path=request.url.path,
            **ctx,
        )
        return HTMLResponse(html, status_code=status)

    def _snapshot_age(self) -> int | None:
        t = self.snapshots.taken_at
        return None if t is None else int(time.time() - t)


def create_app(
    workspace_dir: str | Path,
    store: Store | None = None,
    secure_cookies: bool = False,
    refresh_interval_s: float = 2.0,
    pool_size: int = 4,
) -> FastAPI:
    """The console over ``workspace_dir``; users, cases and logs in ``store`` (default: the workspace's operational
    store, ``FLOCKWATCH_OPS_URL`` or ``ops.sqlite``)."""
    console = Console(
        Path(workspace_dir), store or ops_store(workspace_dir), secure_cookies, refresh_interval_s, pool_size
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        console.start()
        try:
            yield
        finally:
            console.stop()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = console
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.session = console.sessions.get(request.cookies.get(SESSION_COOKIE))
        request.state.user = None
        s = request.state.session
        if s is not None and s.signed_in:
            now = console.directory.lookup(s.user or "")
            if now is None or now.stamp != s.stamp or now.role != s.role:
                # role or password changed, user disabled: this session ends here
                console.sessions.end(s.sid)
                request.state.session = None
            else:
                request.state.user = now
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(_NeedLogin)
    async def need_login(request: Request, exc: _NeedLogin) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        nxt = request.url.path + (("?" + request.url.query) if request.url.query else "")
        return RedirectResponse("/login?next=" + urllib.parse.quote(nxt, safe=""), status_code=303)

    @app.exception_handler(_BadCsrf)
    async def bad_csrf(request: Request, exc: _BadCsrf) -> Response:
        return console.render(request, "error.html.j2", status=403, title="Form expired", message=str(exc))

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return console.render(request, "error.html.j2", status=403, title="Not allowed", message=str(exc))

    @app.exception_handler(NoSnapshotError)
    async def no_snapshot(request: Request, exc: NoSnapshotError) -> Response:
        return console.render(request, "error.html.j2", status=503, title="Workspace busy", message=str(exc))

    @app.exception_handler(RefusedError)
    async def refused(request: Request, exc: RefusedError) -> Response:
        return console.render(request, "error.html.j2", status=403, title="Refused", message=str(exc))

    @app.exception_handler(FlockwatchError)
    async def flockwatch_error(request: Request, exc: FlockwatchError) -> Response:
        code = 400 if request.method == "POST" else 404
        title = "Cannot do that" if code == 400 else "Not found"
        return console.render(request, "error.html.j2", status=code, title=title, message=str(exc))

    def signed_in(request: Request) -> Ctx:
        user = request.state.user
        if user is None:
            raise _NeedLogin()
        return Ctx(request, request.state.session, user)

    async def form_with_csrf(request: Request) -> dict[str, str]:
        form = await request.form()
        presented = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
        if not csrf_ok(request.state.session, presented):
            raise _BadCsrf("the form's security token is missing or expired; reload the page and try again")
        return {k: str(v) for k, v in form.items()}

    async def signed_in_form(request: Request, role: str) -> tuple[Ctx, dict[str, str]]:
        """A state-changing form's gate, in this order: signed in (else to the sign-in page), a valid CSRF token,
        then the role the form needs."""
        ctx = signed_in(request)
        form = await form_with_csrf(request)
        require_role(ctx.user, role)
        return ctx, form

    def set_session_cookie(response: Response, session: Session) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            session.sid,
            httponly=True,
            samesite="strict",
            secure=console.secure_cookies,
            path="/",
        )

    # -- sign-in ------------------------------------------------------------------------------------------------
    @app.get("/login")
    def login_form(request: Request, next: str = "/queue") -> Response:
        s = request.state.session or console.sessions.new()
        request.state.session = s
        resp = console.render(request, "login.html.j2", next=_local(next), error=None)
        set_session_cookie(resp, s)
        return resp

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await form_with_csrf(request)
        username = form.get("username", "").strip()[:200]
        password = form.get("password", "")[:1000]
        nxt = _local(form.get("next", "/queue"))
        client = request.client.host if request.client else "unknown"
        keys = (f"ip:{client}", f"user:{username.lower()}")
        wait = console.limiter.retry_after_s(*keys)
        if wait:
            resp = console.render(
                request,
                "login.html.j2",
                status=429,
                next=nxt,
                error=f"Too many failed sign-ins; try again in {wait} s.",
            )
            resp.headers["Retry-After"] = str(wait)
            return resp
        user = console.directory.authenticate(username, password) if username and password else None
        if user is None:
            console.limiter.failed(*keys)
            return console.render(request, "login.html.j2", status=401, next=nxt, error="Wrong user name or password.")
        console.limiter.succeeded(*keys)
        s = console.sessions.sign_in(request.state.session, user.name, user.role, user.stamp)
        done = RedirectResponse(nxt, status_code=303)
        set_session_cookie(done, s)
        return done

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        await form_with_csrf(request)
        if request.state.session is not None:
            console.sessions.end(request.state.session.sid)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    # -- queue --------------------------------------------------------------------------------------------------
    @app.get("/")
    def home() -> Response:
        return RedirectResponse("/queue", status_code=303)

    def _queue_query(
        run: str | None, flagged: str, min_size: int, detector: str, q: str, kind: str, page: int, operation: str = ""
    ) -> QueueQuery:
        return QueueQuery(
            run_id=run or None,
            flagged_only=flagged != "all",
            min_size=max(0, min_size),
            detector=detector or None,
            operation_id=operation or None,
            search=q[:300],
            search_kind=kind if kind in SEARCH_KINDS else "any",
            offset=max(0, page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )

    @app.get("/queue")
    def queue(
        request: Request,
        run: str = "",
        flagged: str = "flagged",
        min_size: int = 0,
        detector: str = "",
        q: str = "",
        kind: str = "any",
        page: int = 1,
        operation: str = "",
    ) -> Response:
        ctx = signed_in(request)
        query = _queue_query(run, flagged, min_size, detector, q, kind, page, operation)
        with console.ws() as ws:
            try:
                result = network_queue(ws, query)
            except ValidationError as exc:
                return console.render(request, "error.html.j2", status=404, title="No run", message=str(exc))
            latest = runs.latest_run(ws.engine)
        operations = console.cached(
            ("operations", result.run_id),
            lambda w: {"rows": sorted(load_operations(w, result.run_id, compute_missing=False), key=_op_priority)},
        )["rows"]
        params = {
            "run": run,
            "flagged": flagged,
            "min_size": min_size,
            "detector": detector,
            "q": q,
            "kind": kind,
            "operation": operation,
        }
        template = "queue_rows.html.j2" if ctx.request.headers.get("hx-request") else "queue.html.j2"
        return console.render(
            request,
            template,
            page=result,
            page_no=max(1, page),
            params=params,
            qs=urllib.parse.urlencode(params),
            latest=latest,
            kinds=SEARCH_KINDS,
            operations=operations[:20],
            n_operations=len(operations),
            title="Queue",
        )

    @app.get("/queue.csv")
    def queue_csv(
        request: Request,
        run: str = "",
        flagged: str = "flagged",
        min_size: int = 0,
        detector: str = "",
        q: str = "",
        kind: str = "any",
    ) -> Response:
        signed_in(request)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["run_id", "network_id", "operation_id", "size", "score", "flagged", "density", "signals"])
        with console.ws() as ws:
            offset = 0
            while True:
                query = _queue_query(run, flagged, min_size, detector, q, kind, 1)
                result = network_queue(ws, QueueQuery(**{**query.__dict__, "offset": offset, "limit": 500}))
                for r in result.rows:
                    w.writerow(
                        [
                            result.run_id,
                            r.network_id,
                            r.operation_id or "",
                            r.size,
                            r.score,
                            r.flagged,
                            r.density,
                            json.dumps(r.signals, ensure_ascii=False),
                        ]
                    )
                offset += len(result.rows)
                if not result.has_next or not result.rows:
                    break
        return _download(buf.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"queue-{result.run_id}.csv")

    # -- network ------------------------------------------------------------------------------------------------
    @app.get("/networks/{network_id}")
    def network_latest(request: Request, network_id: str) -> Response:
        signed_in(request)
        with console.ws() as ws:
            rid = runs.resolve_run(ws.engine)
        return _network_page(request, rid, network_id, latest=True)

    @app.get("/runs/{run_id}/networks/{network_id}")
    def network_page(request: Request, run_id: str, network_id: str) -> Response:
        signed_in(request)
        return _network_page(request, run_id, network_id, latest=False)

    def _network_page(request: Request, run_id: str, network_id: str, latest: bool) -> Response:
        members_page = max(1, _int(request.query_params.get("members_page"), 1))
        links_page = max(1, _int(request.query_params.get("links_page"), 1))
        with console.ws() as ws:
            rid, nid = runs.resolve_network(ws.engine, f"{run_id}/{network_id}")
            summary = network_summary(ws, f"{rid}/{nid}")
            members, n_members = network_members_page(ws, rid, nid, (members_page - 1) * PAGE_SIZE, PAGE_SIZE)
            links, n_links = network_edges_page(ws, rid, nid, (links_page - 1) * PAGE_SIZE, PAGE_SIZE)
            latest_rid = runs.latest_run(ws.engine)
        return console.render(
            request,
            "network.html.j2",
            title=f"Network {nid}",
            run_id=rid,
            latest=latest,
            is_latest=rid == latest_rid,
            n=summary,
            members=members,
            n_members=n_members,
            members_page=members_page,
            links=links,
            n_links=n_links,
            links_page=links_page,
            page_size=PAGE_SIZE,
            kinds=ACTION_KINDS,
        )

    def _sections(rid: str, nid: str) -> dict[str, Any]:
        def make(ws: Workspace) -> dict[str, Any]:
            _, _, ids = runs.network_members(ws.engine, f"{rid}/{nid}")
            edges = stored_network_edges(ws, f"{rid}/{nid}")
            return collect_report_data(ws, ids, f"{rid}/{nid}", edges=edges)

        return console.cached(("sections", rid, nid), make)

    @app.get("/runs/{run_id}/networks/{network_id}/sections")
    def network_sections(request: Request, run_id: str, network_id: str) -> Response:
        signed_in(request)
        with console.ws() as ws:
            rid, nid = runs.resolve_network(ws.engine, f"{run_id}/{network_id}")
        d = _sections(rid, nid)
        return console.render(request, "network_sections.html.j2", d=d, run_id=rid, nid=nid)

    @app.get("/runs/{run_id}/networks/{network_id}/graph.json")
    def network_graph_json(request: Request, run_id: str, network_id: str) -> Response:
        signed_in(request)
        with console.ws() as ws:
            rid, nid = runs.resolve_network(ws.engine, f"{run_id}/{network_id}")
        g = console.cached(("graph", rid, nid), lambda w: network_graph(w, rid, nid))
        return JSONResponse(g)

    @app.get("/runs/{run_id}/networks/{network_id}/link")
    def link_evidence(request: Request, run_id: str, network_id: str, a: str, b: str) -> Response:
        signed_in(request)
        with console.ws() as ws:
            rid, nid = runs.resolve_network(ws.engine, f"{run_id}/{network_id}")
            pair = explain_pair(ws, a, b, rid, evidence_limit=10)
            ids = [x for ev in pair["evidence"] for x in (ev["action_id_a"], ev["action_id_b"])]
            posts = actions_by_ids(ws, ids)
        template = "link_fragment.html.j2" if request.headers.get("hx-request") else "link.html.j2"
        return console.render(
            request,
            template,
            title=f"Link {pair['account_a']} – {pair['account_b']}",
            pair=pair,
            posts=posts,
            run_id=rid,
            nid=nid,
        )

    @app.get("/runs/{run_id}/networks/{network_id}/export/{fmt}")
    def network_export(request: Request, run_id: str, network_id: str, fmt: str) -> Response:
        signed_in(request)
        with console.ws() as ws:
            rid, nid = runs.resolve_network(ws.engine, f"{run_id}/{network_id}")
            if fmt == "report":
                _, _, ids = runs.network_members(ws.engine, f"{rid}/{nid}")
                html = build_report(ws, ids, f"{rid}/{nid}", edges=stored_network_edges(ws, f"{rid}/{nid}"))
                return _download(html.encode("utf-8"), "text/html; charset=utf-8", f"{nid}-report.html")
            if fmt not in ("csv", "graphml"):
                raise ValidationError(f"unknown export {fmt!r}; use csv, graphml or report")
            with tempfile.TemporaryDirectory(prefix="fw-export-") as tmp:
                path = export_network(ws, f"{rid}/{nid}", Path(tmp) / f"{nid}.{fmt}", fmt)
                data = path.read_bytes()
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/graphml+xml"
        return _download(data, media, f"{nid}.{fmt}")

    # -- account ------------------------------------------------------------------------------------------------
    @app.get("/accounts/{account_id:path}")
    def account_page(request: Request, account_id: str, page: int = 1) -> Response:
        ctx = signed_in(request)
        page = max(1, page)
        # every view of an account's data is recorded, before it is shown (insider access is a real risk)
        audit.log_access(console.store, actor=ctx.user.name, account_id=account_id, purpose="console: account page")
        cases = cases_of_subject(console.store, account_id)
        with console.ws() as ws:
            profiles = account_profiles(ws, account_id)
            history, n_actions = account_actions(ws, account_id, (page - 1) * PAGE_SIZE, PAGE_SIZE)
            memberships = account_memberships(ws, account_id)
        signals = console.cached(
            ("signals", account_id), lambda w: {"rows": compute_signals(w, [account_id]).to_pylist()}
        )["rows"]
        if not profiles and not n_actions and not memberships:
            return console.render(
                request, "error.html.j2", status=404, title="Not found", message=f"no account {account_id!r}"
            )
        return console.render(
            request,
            "account.html.j2",
            title=f"Account {account_id}",
            account_id=account_id,
            profiles=profiles,
            history=history,
            n_actions=n_actions,
            page_no=page,
            page_size=PAGE_SIZE,
            memberships=memberships,
            signals=signals,
            cases=cases,
        )

    # -- state-media registry -----------------------------------------------------------------------------------
    @app.get("/registry")
    def registry(request: Request, country: str = "", q: str = "", page: int = 1) -> Response:
        signed_in(request)
        page = max(1, page)
        with console.ws() as ws, Registry.open(ws) as reg:
            outlets = reg.outlets(country=country or None)
            counts = reg.counts()
        if q.strip():
            key = q.strip().lower()
            outlets = [o for o in outlets if key in o.name.lower() or any(key in a.lower() for a in o.aliases)]
        total = len(outlets)
        shown = outlets[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return console.render(
            request,
            "registry.html.j2",
            title="State-media registry",
            outlets=shown,
            total=total,
            counts=counts,
            page_no=page,
            page_size=PAGE_SIZE,
            country=country,
            q=q,
            qs=urllib.parse.urlencode({"country": country, "q": q}),
        )

    @app.get("/registry/{outlet_id}")
    def registry_outlet(request: Request, outlet_id: int) -> Response:
        signed_in(request)
        with console.ws() as ws, Registry.open(ws) as reg:
            outlet = reg.outlet(outlet_id)
            facts = reg.facts(outlet, current_only=False)
            dets = determinations(reg, outlet=outlet.outlet_id)
            latest = determinations(reg, outlet=outlet.outlet_id, latest_only=True)
            outlet_appeals = appeals(reg, outlet=outlet.outlet_id)
            assets = reg.assets(outlet.outlet_id)
            parents = reg.ancestors(outlet)
        return console.render(
            request,
            "outlet.html.j2",
            title=outlet.name,
            o=outlet,
            facts=facts,
            history=dets,
            latest=latest,
            appeals=outlet_appeals,
            assets=assets,
            parents=parents,
        )

    # -- cases --------------------------------------------------------------------------------------------------
    @app.post("/runs/{run_id}/networks/{network_id}/cases")
    async def open_network_case(request: Request, run_id: str, network_id: str) -> Response:
        ctx, form = await signed_in_form(request, "analyst")
        kind, reason = form.get("kind", ""), form.get("reason", "").strip()
        if kind not in ACTION_KINDS:
            raise ValidationError(f"unknown action {kind!r}; use one of {', '.join(ACTION_KINDS)}")
        if not reason:
            raise ValidationError("a proposal needs a reason")
        actor = console.directory.actor(ctx.user)
        with console.ws() as ws:
            rid, nid = runs.resolve_network(ws.engine, f"{run_id}/{network_id}")
            case_id = open_case(
                console.store,
                by=actor.name,
                engine=ws.engine,
                network=f"{rid}/{nid}",
                title=form.get("title", "").strip()[:200] or f"Candidate network {nid} of run {rid}",
                reason=reason,
            )
        propose(console.store, case_id, actor, kind, reason, form.get("until") or None)
        return RedirectResponse(f"/cases/{urllib.parse.quote(case_id)}", status_code=303)

    @app.get("/cases")
    def cases(request: Request, status: str = "") -> Response:
        signed_in(request)
        rows = list_cases(console.store, status if status in CASE_STATUSES else None)
        rows.sort(key=lambda c: (c.opened_at, c.case_id), reverse=True)
        return console.render(
            request,
            "cases.html.j2",
            title="Cases",
            cases=rows[:500],
            total=len(rows),
            statuses=CASE_STATUSES,
            status_filter=status,
        )

    @app.get("/cases/{case_id}")
    def case_page(request: Request, case_id: str, error: str = "") -> Response:
        signed_in(request)
        case = get_case(console.store, case_id)
        trail = audit.entries(console.store, object_ref=f"case:{case_id}")
        subjects = case.subjects or []
        return console.render(
            request,
            "case.html.j2",
            title=f"Case {case_id}",
            case=case,
            subjects=subjects[:200],
            n_subjects=len(subjects),
            trail=trail,
            kinds=ACTION_KINDS,
            pending=[a for a in case.actions if a.get("status") == "proposed"],
            error=error[:300],
        )

    @app.post("/cases/{case_id}/propose")
    async def case_propose(request: Request, case_id: str) -> Response:
        ctx, form = await signed_in_form(request, "analyst")
        return _case_step(
            case_id,
            lambda: propose(
                console.store,
                case_id,
                console.directory.actor(ctx.user),
                form.get("kind", ""),
                form.get("reason", "").strip(),
                form.get("until") or None,
            ),
        )

    @app.post("/cases/{case_id}/approve")
    async def case_approve(request: Request, case_id: str) -> Response:
        # approve() itself enforces the two-person rule and the reviewer role
        ctx, _form = await signed_in_form(request, "analyst")
        return _case_step(
            case_id,
            lambda: approve(console.store, case_id, console.directory.actor(ctx.user), ReviewRules.from_env()),
        )

    # -- background jobs ----------------------------------------------------------------------------------------
    @app.get("/jobs")
    def jobs_page(request: Request) -> Response:
        signed_in(request)
        return console.render(request, "jobs.html.j2", title="Jobs", jobs=console.jobs.jobs(), kinds=list(JOB_KINDS))

    @app.post("/jobs")
    async def start_job(request: Request) -> Response:
        ctx, form = await signed_in_form(request, "analyst")
        job = console.jobs.start(form.get("kind", ""), ctx.user.name)
        return RedirectResponse(f"/jobs/{job.job_id}", status_code=303)

    @app.get("/jobs/{job_id}")
    def job_page(request: Request, job_id: int) -> Response:
        signed_in(request)
        job = console.jobs.get(job_id)
        if job is None:
            raise ValidationError(f"no job {job_id} in this console")
        template = "job_fragment.html.j2" if request.headers.get("hx-request") else "job.html.j2"
        return console.render(request, template, title=f"Job {job_id}", job=job)

    # -- access log ---------------------------------------------------------------------------------------------
    @app.get("/admin/access-log")
    def access_log(request: Request, account: str = "", actor: str = "") -> Response:
        ctx = signed_in(request)
        require_role(ctx.user, "admin")
        rows = audit.accesses(console.store, account_id=account or None, actor=actor or None)
        rows.reverse()
        return console.render(
            request,
            "access_log.html.j2",
            title="Access log",
            rows=rows[:1000],
            total=len(rows),
            account=account,
            actor=actor,
        )

    # -- status -------------------------------------------------------------------------------------------------
    @app.get("/status")
    def status(request: Request) -> Response:
        signed_in(request)
        with console.ws() as ws:
            latest = runs.latest_run(ws.engine)
        return JSONResponse(
            {
                "snapshot_age_s": console._snapshot_age(),
                "latest_run": latest,
                "refresh_error": console.snapshots.last_refresh_error,
            }
        )

    return app


def _op_priority(op: Operation) -> tuple[float, int, str]:
    return (-op.score, -op.n_members, op.operation_id)


def _case_step(case_id: str, step: Callable[[], object]) -> Response:
    """Run one review step on a case and go back to the case's page; a refusal (two-person rule, role, a decision
    taken meanwhile) or bad input is shown there, next to the form, rather than on an error page."""
    try:
        step()
    except (RefusedError, ValidationError) as exc:
        return _back_to_case(case_id, str(exc))
    return _back_to_case(case_id)


def _back_to_case(case_id: str, error: str = "") -> Response:
    url = f"/cases/{urllib.parse.quote(case_id)}"
    if error:
        url += "?error=" + urllib.parse.quote(error)
    return RedirectResponse(url, status_code=303)


def _int(v: str | None, default: int) -> int:
    try:
        return int(v) if v is not None else default
    except ValueError:
        return default


def _local(target: str) -> str:
    """Only same-site paths after sign-in (no open redirect to another host)."""
    t = (target or "").strip()
    if not t.startswith("/") or t.startswith("//") or "\\" in t:
        return "/queue"
    return t


def _download(data: bytes, media_type: str, filename: str) -> Response:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{safe}"'})
