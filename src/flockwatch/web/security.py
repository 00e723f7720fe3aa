"""The console's guards: response headers with a strict Content-Security-Policy, server-side sessions with a CSRF
token each, and a rate limit on sign-in attempts.

Consumes requests (cookies, form fields, the client address) and a :class:`~flockwatch.web.auth.Directory` that
says who a user is now; produces headers, :class:`Session` objects and refusals.

- **CSP**: scripts and styles only from the console's own ``/static/`` (vendored files, no inline script, no inline
  style attribute, no ``eval``); images from itself or ``data:``; no frames, no plugins, forms post only to itself.
- **Sessions** live in this process (a random 256-bit id in an HttpOnly, SameSite=Strict cookie; the server keeps
  the user, the role and a credential stamp). Every request re-reads the user from the directory: a changed role or
  password (a different stamp), a disabled or deleted user ends the session at once. Idle sessions end after
  ``idle_s``, every session after ``max_age_s``. Signing in issues a new id (no fixation).
- **CSRF**: a synchronizer token per session (anonymous visitors to the sign-in form get a session too); every
  POST must carry it in the form field ``csrf_token`` (or the ``X-CSRF-Token`` header for HTMX requests), compared
  in constant time.
- **Rate limit**: failed sign-ins per client address and per user name in a sliding window; over the limit the
  answer is 429 with Retry-After, whether or not the password would have been right.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
SESSION_COOKIE = "fw_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass
class Session:
    sid: str
    csrf: str
    created_s: float
    seen_s: float
    user: str | None = None
    role: str | None = None
    stamp: str | None = None
    flash: list[str] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        return self.user is not None


class SessionStore:
    """Server-side sessions of this console process. Anonymous sessions are capped (oldest dropped first) so
    that visitors to the sign-in form cannot fill the memory."""

    def __init__(self, idle_s: float = 8 * 3600, max_age_s: float = 12 * 3600, max_anonymous: int = 10_000) -> None:
        self.idle_s = idle_s
        self.max_age_s = max_age_s
        self.max_anonymous = max_anonymous
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._anonymous: OrderedDict[str, None] = OrderedDict()

    def new(self) -> Session:
        now = time.time()
        s = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now)
        with self._lock:
            self._sessions[s.sid] = s
            self._anonymous[s.sid] = None
            while len(self._anonymous) > self.max_anonymous:
                old, _ = self._anonymous.popitem(last=False)
                self._sessions.pop(old, None)
        return s

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        now = time.time()
        with self._lock:
            s = self._sessions.get(sid)
            if s is None:
                return None
            if now - s.seen_s > self.idle_s or now - s.created_s > self.max_age_s:
                self._drop(sid)
                return None
            s.seen_s = now
            return s

    def sign_in(self, old: Session | None, user: str, role: str, stamp: str) -> Session:
        """A fresh session for ``user`` (the old id, if any, stops working)."""
        if old is not None:
            self.end(old.sid)
        s = self.new()
        with self._lock:
            self._anonymous.pop(s.sid, None)
            s.user, s.role, s.stamp = user, role, stamp
        return s

    def end(self, sid: str) -> None:
        with self._lock:
            self._drop(sid)

    def end_user(self, user: str) -> int:
        """End every session of ``user`` (after a role or password change made here); returns how many."""
        with self._lock:
            sids = [sid for sid, s in self._sessions.items() if s.user == user]
            for sid in sids:
                self._drop(sid)
        return len(sids)

    def _drop(self, sid: str) -> None:
        self._sessions.pop(sid, None)
        self._anonymous.pop(sid, None)


def csrf_ok(session: Session | None, presented: str | None) -> bool:
    if session is None or not presented:
        return False
    return hmac.compare_digest(session.csrf.encode(), presented.encode())


class LoginRateLimiter:
    """At most ``max_failures`` failed sign-ins per key (client address, user name) within ``window_s``."""

    def __init__(self, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after_s(self, *keys: str) -> int:
        """Seconds until a new attempt is allowed for these keys (0: allowed now)."""
        now = time.time()
        wait = 0.0
        with self._lock:
            for k in keys:
                q = self._recent(k, now)
                if len(q) >= self.max_failures:
                    wait = max(wait, self.window_s - (now - q[0]))
        return int(wait + 0.999) if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        now = time.time()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)
            if len(self._failures) > 100_000:  # bounded memory: forget keys with no recent failure
                for k in [k for k, q in self._failures.items() if not q or now - q[-1] > self.window_s]:
                    del self._failures[k]

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)
