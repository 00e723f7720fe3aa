"""Hand-off delivery: the records of :mod:`flockwatch.review.handoff` POSTed to an enforcement system's webhook.

Consumes the operational store (executed actions and reversals, the host allow-list) and a shared secret; produces
HTTP requests to the receiver and, per endpoint and record, a row of ``ops_deliveries`` (status, attempts, last HTTP
status or error, when it may be tried again), plus one audit entry per batch delivered or given up.

Public API:

    allow_host(store, host, actor) / disallow_host(store, host, actor) / allowed_hosts(store)
    deliver(store, url, secret, case_id=None, policy=DeliveryPolicy()) -> DeliveryReport   queue new records, send
    retry_due(store, secret, policy=DeliveryPolicy()) -> list[DeliveryReport]               what `jobs run` calls
    delivery_status(store, url=None) -> list[dict]                                           counts per endpoint/status
    case_delivery_counts(store, case_id) -> {host: {status: records}}                        shown by `case show`
    sign(secret, body, timestamp_s) / verify_signature(secret, body, header, tolerance_s=300) for receivers
    read_secret(secret_file=None) -> bytes                                                   file or FLOCKWATCH_WEBHOOK_SECRET

The wire format (what a receiver implements):

- ``POST`` with a JSON body ``{"batch": KEY, "records": [record, ...]}``; each record is a hand-off record with its
  own ``idempotency_key`` (see handoff.py), and ``KEY`` is also sent as the ``Idempotency-Key`` header. A batch's key
  is fixed when its records are first queued, so every re-send of it carries the same key: a receiver that remembers
  keys (per batch, or per record) applies each decision once however often it arrives.
- ``Flockwatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``. A receiver recomputes the
  HMAC over the raw body and refuses a timestamp outside its tolerance window (a replayed old request), exactly what
  :func:`verify_signature` does.
- Any 2xx means delivered. A 3xx is a failed delivery and is never followed (a redirect could carry signed decisions
  to a host nobody allowed); other 4xx (except 408/425/429) are failures that retrying cannot fix; timeouts,
  connection errors, 408/425/429 and 5xx are retried with exponential backoff and full jitter, honouring a
  ``Retry-After`` header (capped), up to ``DeliveryPolicy.max_attempts`` tries per call. A batch still failing stays
  ``failed`` with a ``next_attempt_at``; ``flockwatch jobs run`` retries it until ``max_total_attempts``.

Security: the URL's host must be on the store's allow-list (exact host name, case-insensitive), checked before any
connection and again when ``jobs run`` retries; otherwise :class:`RefusedError` ``HOST_NOT_ALLOWED`` (exit 4). The
secret is never logged, stored or echoed; audit entries name the host, not the URL (a webhook URL may hold a token).
The allow-list is by name: DNS answers for an allowed name are trusted.

Two senders at once (a `deliver` while `jobs run` retries) may both send a due batch: it carries the same key both
times, which is exactly the duplicate a receiver must de-duplicate; the store records one delivery.

A subject's status in the case is not changed by delivery: ``executed`` records the decision in flockwatch (a store
may hand off to several endpoints, or only by file); whether an enforcement system has received it is the delivery
row's status per endpoint (``delivered`` only on a 2xx), which ``case show`` reports beside the subject counts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from flockwatch.errors import InputFileError, RefusedError, ValidationError
from flockwatch.review import audit
from flockwatch.review.handoff import handoff_records
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_deliveries, ops_delivery_hosts

SIGNATURE_HEADER = "Flockwatch-Signature"
SECRET_ENV = "FLOCKWATCH_WEBHOOK_SECRET"
#: statuses that retrying cannot fix are failures at once; these are worth another try
_RETRYABLE_STATUS = frozenset({408, 425, 429})
_MIN_SECRET_BYTES = 16


@dataclass(frozen=True)
class DeliveryPolicy:
    """How a delivery behaves (the CLI exposes the first three)."""

    #: seconds for each request (connect, write, read): a stalled receiver costs one timeout, not a hung job
    timeout_s: float = 10.0
    #: tries per batch within one call (the first try included)
    max_attempts: int = 4
    #: records per POST
    batch_records: int = 500
    #: backoff before try n+1 is uniform in [0, min(max_delay_s, base_delay_s * 2**n)] ("full jitter")
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    #: a receiver's Retry-After is honoured up to this many seconds (a larger one leaves the batch to `jobs run`)
    retry_after_cap_s: float = 60.0
    #: tries per batch over all calls: after that it stays failed until an operator re-queues it
    max_total_attempts: int = 12


@dataclass
class DeliveryReport:
    endpoint_host: str
    queued: int = 0
    batches_sent: int = 0
    records_delivered: int = 0
    records_failed: int = 0
    requests: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- signing ----------------------------------------------------------------------------------------------------------
def sign(secret: bytes, body: bytes, timestamp_s: int) -> str:
    """The ``Flockwatch-Signature`` header value for ``body`` sent at ``timestamp_s`` (unix seconds)."""
    mac = hmac.new(secret, f"{timestamp_s}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp_s},v1={mac}"


def verify_signature(
    secret: bytes, body: bytes, header: str | None, tolerance_s: float = 300.0, now_s: float | None = None
) -> bool:
    """For receivers: True when ``header`` is a valid signature of the raw ``body`` made within ``tolerance_s`` of
    now (both directions: a replayed old request and a clock far ahead both fail). Compares in constant time."""
    if not header:
        return False
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        k, sep, v = item.strip().partition("=")
        if sep:
            parts.setdefault(k, []).append(v)
    try:
        ts = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    now = time.time() if now_s is None else now_s
    if abs(now - ts) > tolerance_s:
        return False
    expected = hmac.new(secret, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    # several v1 values are accepted so that a sender can sign with an old and a new secret while rotating
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))


def read_secret(secret_file: str | Path | None = None) -> bytes:
    """The shared secret: the first line of ``secret_file``, else ``FLOCKWATCH_WEBHOOK_SECRET``. Never echoed."""
    if secret_file is not None:
        p = Path(secret_file)
        try:
            raw = p.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputFileError(p, f"webhook secret unreadable ({exc.strerror})") from None
        value = raw[0].strip() if raw else ""
        where = str(p)
    else:
        value = os.environ.get(SECRET_ENV, "").strip()
        where = SECRET_ENV
    if len(value.encode()) < _MIN_SECRET_BYTES:
        raise ValidationError(
            f"the webhook secret ({where}) is missing or shorter than {_MIN_SECRET_BYTES} bytes; "
            f"give --secret-file FILE or set {SECRET_ENV}"
        )
    return value.encode()


# -- the allow-list -----------------------------------------------------------------------------------------------------
def endpoint_host(url: str) -> str:
    """The host a request to ``url`` connects to (lower case), after checking the URL is plain http(s).

    Parsed by httpx, the client that connects, rather than by core.urls.host (which drops ``www.`` for analysis):
    the allow-list must compare the very host the connection goes to."""
    try:
        u = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValidationError(f"webhook URL {url!r} is not a URL ({exc})") from None
    if u.scheme not in ("http", "https") or not u.host:
        raise ValidationError(f"webhook URL {url!r} must be http:// or https:// with a host")
    if u.userinfo:
        raise ValidationError("a webhook URL must not carry credentials; the body is signed with the shared secret")
    return u.host.lower().rstrip(".")


def _norm_host(host: str) -> str:
    h = host.strip().lower().rstrip(".")
    bad = ValidationError(f"{host!r} is not a host name (give the name only, without scheme, port or path)")
    if not h or any(c in h for c in "/@?# "):
        raise bad
    try:
        u = httpx.URL(f"http://{h}/")
    except httpx.InvalidURL:
        raise bad from None
    if not u.host or u.port is not None:
        raise bad
    return u.host.lower()


def allowed_hosts(store: Store) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(ops_delivery_hosts).order_by(ops_delivery_hosts.c.host))]


def allow_host(store: Store, host: str, actor: str, os_user: str | None = None) -> bool:
    """Add ``host`` to the allow-list (audited); False when it was there already."""
    h = _norm_host(host)
    with store.begin() as conn:
        if conn.execute(select(ops_delivery_hosts.c.host).where(ops_delivery_hosts.c.host == h)).first():
            return False
        conn.execute(insert(ops_delivery_hosts).values(host=h, added_by=actor, added_at=utc_now()))
        audit.append(conn, actor=actor, os_user=os_user, action="handoff.allow_host", object_ref=f"webhook:{h}")
    return True


def disallow_host(store: Store, host: str, actor: str, os_user: str | None = None) -> bool:
    h = _norm_host(host)
    with store.begin() as conn:
        n = conn.execute(delete(ops_delivery_hosts).where(ops_delivery_hosts.c.host == h)).rowcount
        if n:
            audit.append(conn, actor=actor, os_user=os_user, action="handoff.disallow_host", object_ref=f"webhook:{h}")
    return bool(n)


def check_endpoint(store: Store, url: str) -> str:
    """The URL's host when it is on the allow-list; RefusedError HOST_NOT_ALLOWED otherwise (nothing connects)."""
    h = endpoint_host(url)
    with store.connect() as conn:
        ok = conn.execute(select(ops_delivery_hosts.c.host).where(ops_delivery_hosts.c.host == h)).first()
    if not ok:
        raise RefusedError(
            "HOST_NOT_ALLOWED",
            f"host {h!r} is not on this store's webhook allow-list (an admin adds it: "
            f"`flockwatch handoff allow-host {h}`)",
        )
    return h


# -- queueing -------------------------------------------------------------------------------------------------------
def _batch_key(record_keys: list[str]) -> str:
    return hashlib.sha256("\n".join(record_keys).encode()).hexdigest()[:32]


def queue(store: Store, url: str, case_id: str | None = None, batch_records: int = 500) -> int:
    """Queue the hand-off records not yet queued for ``url``; returns how many. Records already queued (delivered or
    not) are never queued again, so a delivered record is never sent again as new."""
    if batch_records < 1:
        raise ValidationError("batch_records must be at least 1")
    d = ops_deliveries.c
    records = handoff_records(store, case_id)
    with store.connect() as conn:
        known = {r[0] for r in conn.execute(select(d.idempotency_key).where(d.endpoint == url))}
        start = int(conn.execute(select(func.coalesce(func.max(d.position), 0)).where(d.endpoint == url)).scalar_one())
    new = [r for r in records if r["idempotency_key"] not in known]
    if not new:
        return 0
    now = utc_now()
    rows = []
    for i in range(0, len(new), batch_records):
        chunk = new[i : i + batch_records]
        bkey = _batch_key([r["idempotency_key"] for r in chunk])
        for j, r in enumerate(chunk):
            rows.append(
                {
                    "endpoint": url,
                    "idempotency_key": r["idempotency_key"],
                    "batch_key": bkey,
                    "position": start + i + j + 1,
                    "case_id": r["case_id"],
                    "action_id": r["action_id"],
                    "record_json": json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "queued_at": now,
                }
            )
    try:
        with store.begin() as conn:
            for i in range(0, len(rows), 5000):
                conn.execute(insert(ops_deliveries), rows[i : i + 5000])
    except IntegrityError:
        raise RefusedError(
            "DELIVERY_BUSY", "another delivery to this endpoint queued the same records meanwhile; run it again"
        ) from None
    return len(rows)


# -- sending --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Outcome:
    delivered: bool
    retryable: bool
    http_status: int | None
    error: str | None
    retry_after_s: float | None = None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _post(client: httpx.Client, url: str, secret: bytes, batch_key: str, body: bytes) -> _Outcome:
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": batch_key,
        SIGNATURE_HEADER: sign(secret, body, int(time.time())),
        "User-Agent": "flockwatch-handoff",
    }
    try:
        resp = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException as exc:
        return _Outcome(False, True, None, f"timeout after {client.timeout.read}s ({type(exc).__name__})")
    except httpx.TransportError as exc:
        return _Outcome(False, True, None, f"connection failed ({type(exc).__name__}: {exc})")
    code = resp.status_code
    if 200 <= code < 300:
        return _Outcome(True, False, code, None)
    if 300 <= code < 400:
        where = resp.headers.get("location", "")
        return _Outcome(False, False, code, f"redirect to {where!r} not followed (a redirect is a failed delivery)")
    retryable = code >= 500 or code in _RETRYABLE_STATUS
    return _Outcome(
        False, retryable, code, f"HTTP {code} {resp.reason_phrase}", _retry_after(resp.headers.get("retry-after"))
    )


def _backoff_s(policy: DeliveryPolicy, attempt: int, rng: random.Random) -> float:
    return rng.uniform(0.0, min(policy.max_delay_s, policy.base_delay_s * (2**attempt)))


def _later(seconds: float) -> str:
    """Now + ``seconds``, rounded UP to a whole second (rounding down could make a retry due at once)."""
    t = datetime.now(UTC) + timedelta(seconds=seconds)
    return (t.replace(microsecond=0) + timedelta(seconds=1 if t.microsecond else 0)).isoformat()


def _send_batch(
    store: Store,
    client: httpx.Client,
    url: str,
    host: str,
    secret: bytes,
    batch_key: str,
    policy: DeliveryPolicy,
    rng: random.Random,
    report: DeliveryReport,
    actor: str,
) -> None:
    d = ops_deliveries.c
    this = (d.endpoint == url, d.batch_key == batch_key)
    with store.connect() as conn:
        rows = conn.execute(
            select(d.record_json, d.attempts, d.action_id).where(*this, d.status != "delivered").order_by(d.position)
        ).all()
    if not rows:
        return
    total = max(int(r.attempts) for r in rows)
    body = json.dumps(
        {"batch": batch_key, "records": [json.loads(r.record_json) for r in rows]},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    outcome: _Outcome | None = None
    for i in range(policy.max_attempts):
        if total >= policy.max_total_attempts:
            break
        if i:
            assert outcome is not None
            wait = _backoff_s(policy, total, rng)
            if outcome.retry_after_s is not None:
                if outcome.retry_after_s > policy.retry_after_cap_s:
                    break  # the receiver asks for more patience than one call has: `jobs run` comes back later
                wait = max(wait, outcome.retry_after_s)
            time.sleep(wait)
        outcome = _post(client, url, secret, batch_key, body)
        total += 1
        report.requests += 1
        if outcome.delivered or not outcome.retryable:
            break
    if outcome is None:
        return
    action_ids = sorted({int(r.action_id) for r in rows})
    with store.begin() as conn:
        if outcome.delivered:
            conn.execute(
                update(ops_deliveries)
                .where(*this, d.status != "delivered")
                .values(
                    status="delivered",
                    attempts=total,
                    last_http_status=outcome.http_status,
                    last_error=None,
                    next_attempt_at=None,
                    delivered_at=utc_now(),
                )
            )
        else:
            again = outcome.retryable and total < policy.max_total_attempts
            nxt = None
            if again:
                wait = _backoff_s(policy, total, rng) if outcome.retry_after_s is None else outcome.retry_after_s
                nxt = _later(max(1.0, wait))
            conn.execute(
                update(ops_deliveries)
                .where(*this, d.status != "delivered")
                .values(
                    status="failed",
                    attempts=total,
                    last_http_status=outcome.http_status,
                    last_error=outcome.error,
                    next_attempt_at=nxt,
                )
            )
        audit.append(
            conn,
            actor=actor,
            os_user=audit.os_user(),
            action="handoff.deliver" if outcome.delivered else "handoff.fail",
            object_ref=f"webhook:{host}",
            reason="" if outcome.delivered else (outcome.error or ""),
            evidence=[{"batch": batch_key, "records": len(rows), "action_ids": action_ids}],
            after={
                "status": "delivered" if outcome.delivered else "failed",
                "http_status": outcome.http_status,
                "attempts": total,
            },
        )
    if outcome.delivered:
        report.batches_sent += 1
        report.records_delivered += len(rows)
    else:
        report.records_failed += len(rows)
        report.failures.append(
            {"batch": batch_key, "records": len(rows), "http_status": outcome.http_status, "error": outcome.error}
        )


def _send_due(
    store: Store,
    url: str,
    host: str,
    secret: bytes,
    policy: DeliveryPolicy,
    report: DeliveryReport,
    actor: str,
    rng: random.Random,
) -> None:
    d = ops_deliveries.c
    now = utc_now()
    with store.connect() as conn:
        batches = [
            r[0]
            for r in conn.execute(
                select(d.batch_key)
                .where(d.endpoint == url, d.status.in_(("pending", "failed")), d.next_attempt_at <= now)
                .group_by(d.batch_key)
                .order_by(func.min(d.position))
            )
        ]
    if not batches:
        return
    timeout = httpx.Timeout(policy.timeout_s)
    # follow_redirects=False: a 3xx is reported, never followed; trust_env=False: no proxy from the environment
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for bkey in batches:
            _send_batch(store, client, url, host, secret, bkey, policy, rng, report, actor)


def deliver(
    store: Store,
    url: str,
    secret: bytes,
    case_id: str | None = None,
    policy: DeliveryPolicy | None = None,
    actor: str = "flockwatch-handoff",
    seed: int | None = None,
) -> DeliveryReport:
    """Queue the records not yet queued for ``url`` and send every batch that is due (new ones, and failed ones
    whose ``next_attempt_at`` has come). Refuses a host off the allow-list before connecting."""
    policy = policy or DeliveryPolicy()
    host = check_endpoint(store, url)
    report = DeliveryReport(host)
    report.queued = queue(store, url, case_id, policy.batch_records)
    _send_due(store, url, host, secret, policy, report, actor, random.Random(seed))
    return report


def requeue_failed(store: Store, url: str) -> int:
    """Make the failed records of ``url`` due now (after fixing the receiver); their attempt counts restart."""
    d = ops_deliveries.c
    with store.begin() as conn:
        return int(
            conn.execute(
                update(ops_deliveries)
                .where(d.endpoint == url, d.status == "failed")
                .values(next_attempt_at=utc_now(), attempts=0)
            ).rowcount
        )


def retry_due(
    store: Store, secret: bytes, policy: DeliveryPolicy | None = None, actor: str = "flockwatch-jobs"
) -> list[DeliveryReport]:
    """Send every due batch of every endpoint (what ``flockwatch jobs run`` does); an endpoint whose host has left
    the allow-list is skipped and reported, never contacted."""
    policy = policy or DeliveryPolicy()
    d = ops_deliveries.c
    now = utc_now()
    with store.connect() as conn:
        endpoints = [
            r[0]
            for r in conn.execute(
                select(d.endpoint)
                .where(d.status.in_(("pending", "failed")), d.next_attempt_at <= now)
                .group_by(d.endpoint)
                .order_by(d.endpoint)
            )
        ]
    reports = []
    rng = random.Random()
    for url in endpoints:
        try:
            host = check_endpoint(store, url)
        except RefusedError as exc:
            r = DeliveryReport(endpoint_host(url))
            r.failures.append({"error": str(exc)})
            reports.append(r)
            continue
        report = DeliveryReport(host)
        _send_due(store, url, host, secret, policy, report, actor, rng)
        reports.append(report)
    return reports


def due_count(store: Store) -> int:
    d = ops_deliveries.c
    with store.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(d.status.in_(("pending", "failed")), d.next_attempt_at <= utc_now())
            ).scalar_one()
        )


def endpoint_label(url: str) -> str:
    """``host`` or ``host:port`` of an endpoint: names it in reports without its path (which may hold a token)."""
    u = httpx.URL(url)
    return f"{endpoint_host(url)}:{u.port}" if u.port else endpoint_host(url)


def case_delivery_counts(store: Store, case_id: str) -> dict[str, dict[str, int]]:
    """Per endpoint (host[:port]), the case's hand-off records by delivery status (what `case show` reports)."""
    d = ops_deliveries.c
    out: dict[str, dict[str, int]] = {}
    with store.connect() as conn:
        for endpoint, status, n in conn.execute(
            select(d.endpoint, d.status, func.count()).where(d.case_id == case_id).group_by(d.endpoint, d.status)
        ):
            out.setdefault(endpoint_label(endpoint), {})[status] = int(n)
    return out


def delivery_status(store: Store, url: str | None = None) -> list[dict[str, Any]]:
    """Per endpoint (host[:port]) and status: records, batches, the most attempts and the last error seen."""
    d = ops_deliveries.c
    q = (
        select(
            d.endpoint,
            d.status,
            func.count().label("records"),
            func.count(func.distinct(d.batch_key)).label("batches"),
            func.max(d.attempts).label("max_attempts"),
            func.max(d.last_error).label("last_error"),
            func.min(d.next_attempt_at).label("next_attempt_at"),
        )
        .group_by(d.endpoint, d.status)
        .order_by(d.endpoint, d.status)
    )
    if url is not None:
        q = q.where(d.endpoint == url)
    with store.connect() as conn:
        out = []
        for r in conn.execute(q):
            row = dict(r._mapping)
            row["endpoint"] = endpoint_label(row.pop("endpoint"))
            out.append(row)
    return out
