"""Push a bundle to, and pull one from, a TAXII 2.1 collection (taxii2-client; any TAXII 2.1 server).

Consumes a server URL, an API root name, a collection id, a user and a password (from a file or the
``FLOCKWATCH_TAXII_PASSWORD`` environment variable — never from the command line, where other users of the machine
can read it in the process list), and a STIX bundle; produces a :class:`PushResult` / a bundle dict.

Failure and repetition, because tips travel between organisations over networks that fail:

- **server down / timeout / 5xx** → :class:`~flockwatch.errors.ExternalError` (exit 3) naming the server; the local
  bundle is never modified, so nothing is lost; pushing again is safe;
- **idempotent re-push**: objects are sent in pages of ``objects_per_request``; an object the server refuses because
  it already holds that id and version (TAXII 2.1 section 5.4: same id and ``modified`` is the same object) is
  counted as ``already_present`` after finding it in the collection's manifest, not as a failure, so pushing one bundle
  twice reports every object delivered and stores none twice;
- **auth failure** (401/403) → a :class:`~flockwatch.errors.UserError` (exit 2) that names the user and the server;
- **pull** follows the server's pagination (``more``/``next``) through ``taxii2client.v21.as_pages`` and returns one
  bundle; :func:`write_json_atomically` writes it so that an interrupted pull leaves no half file.
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flockwatch.errors import ExternalError, InputFileError, UserError

PASSWORD_ENV = "FLOCKWATCH_TAXII_PASSWORD"


@dataclass
class TaxiiTarget:
    server: str
    api_root: str
    collection: str
    user: str
    password: str = field(repr=False)
    timeout_s: float = 30.0

    @property
    def collection_url(self) -> str:
        return f"{self.server.rstrip('/')}/{self.api_root.strip('/')}/collections/{self.collection}/"


@dataclass
class PushResult:
    objects: int
    added: int
    already_present: int
    failed: list[dict[str, Any]]
    status_ids: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "objects": self.objects,
            "added": self.added,
            "already_present": self.already_present,
            "failed": self.failed,
            "status_ids": self.status_ids,
        }


def read_password(password_file: str | Path | None) -> str:
    """The TAXII password from ``password_file`` (first line) or ``FLOCKWATCH_TAXII_PASSWORD``."""
    if password_file is not None:
        p = Path(password_file)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputFileError(p, f"cannot read the password file: {exc.strerror or exc}") from exc
        pw = text.splitlines()[0] if text else ""
        if not pw:
            raise InputFileError(p, "the password file is empty")
        return pw
    pw = os.environ.get(PASSWORD_ENV, "")
    if not pw:
        raise UserError(f"no TAXII password: give --password-file FILE or set {PASSWORD_ENV}")
    return pw


def _collection(t: TaxiiTarget) -> Any:
    from taxii2client.common import _HTTPConnection
    from taxii2client.v21 import Collection

    conn = _HTTPConnection(user=t.user, password=t.password, version="2.1")
    # taxii2-client sets no timeout: a server that accepts the connection and never answers would hang the push
    conn.session.request = _with_timeout(conn.session.request, t.timeout_s)
    return Collection(t.collection_url, conn=conn)


def _with_timeout(request: Any, timeout_s: float) -> Any:
    def call(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout_s)
        return request(method, url, **kwargs)

    return call


def _fail(t: TaxiiTarget, exc: Exception, doing: str) -> Exception:
    import requests
    from taxii2client.exceptions import AccessError

    if isinstance(exc, AccessError):
        return UserError(f"the TAXII server {t.server} does not let user {t.user!r} do this while {doing}: {exc}")
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status in (401, 403):
        return UserError(f"the TAXII server {t.server} refused user {t.user!r} (HTTP {status}) while {doing}")
    if status == 404:
        return UserError(
            f"the TAXII server {t.server} has no collection {t.collection!r} under API root {t.api_root!r} "
            f"(HTTP 404) while {doing}"
        )
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return ExternalError(f"cannot reach the TAXII server {t.server} while {doing}: {type(exc).__name__}")
    return ExternalError(f"the TAXII server {t.server} failed while {doing}: {exc}")


def _pages(objects: list[dict[str, Any]], n: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(objects), n):
        yield objects[i : i + n]


def push(bundle: dict[str, Any], t: TaxiiTarget, objects_per_request: int = 500) -> PushResult:
    """Add the bundle's objects to the collection (module docstring for failure and re-push)."""
    import requests
    from taxii2client.exceptions import TAXIIServiceException

    objects = [o for o in bundle.get("objects") or [] if isinstance(o, dict)]
    added = present = 0
    failed: list[dict[str, Any]] = []
    status_ids: list[str] = []
    col = _collection(t)
    held: set[tuple[str, str]] | None = None
    by_id = {str(o.get("id")): o for o in objects}
    for page in _pages(objects, objects_per_request):
        try:
            status = col.add_objects({"objects": page}, wait_for_completion=True, poll_interval=1, timeout=60)
        except (requests.RequestException, TAXIIServiceException) as exc:
            raise _fail(t, exc, f"pushing objects ({added + present} of {len(objects)} delivered so far)") from exc
        status_ids.append(status.id)
        added += int(status.success_count)
        refused = list(status.failures or [])
        if refused and held is None:
            held = _manifest(col, t, objects_per_request)
        for f in refused:
            if _is_held(by_id.get(str(f.get("id"))), held or set()):
                present += 1
            else:
                failed.append({"id": f.get("id"), "version": f.get("version"), "message": f.get("message")})
    return PushResult(len(objects), added, present, failed, status_ids)


def _is_held(obj: dict[str, Any] | None, held: set[tuple[str, str]]) -> bool:
    """Does the manifest hold this version of ``obj``? Objects with ``modified`` are versioned by it, those with only
    ``created`` (marking-definitions) by that; immutable ones (observables) by their id alone — a server versions
    them by the date it added them, which the sender cannot know."""
    if obj is None:
        return False
    oid = str(obj.get("id"))
    version = obj.get("modified") or obj.get("created")
    if version:
        return (oid, _ts_key(str(version))) in {(i, _ts_key(v)) for i, v in held if i == oid}
    return any(i == oid for i, _ in held)


def _ts_key(ts: str) -> str:
    """Timestamps compared without trailing zero fractions (servers re-serialise ``.000Z`` / ``Z`` freely)."""
    head, _, frac = ts.rstrip("Z").partition(".")
    frac = frac.rstrip("0")
    return head + ("." + frac if frac else "")


def _manifest(col: Any, t: TaxiiTarget, objects_per_request: int) -> set[tuple[str, str]]:
    """(id, version) of every object the collection holds (its manifest, all pages)."""
    import requests
    from taxii2client.exceptions import TAXIIServiceException
    from taxii2client.v21 import as_pages

    held: set[tuple[str, str]] = set()
    try:
        for env in as_pages(col.get_manifest, per_request=objects_per_request):
            held |= {(str(m.get("id")), str(m.get("version"))) for m in env.get("objects") or []}
    except (requests.RequestException, TAXIIServiceException) as exc:
        raise _fail(t, exc, "reading the collection's manifest") from exc
    return held


def pull(t: TaxiiTarget, added_after: str | None = None, objects_per_request: int = 500) -> dict[str, Any]:
    """Every object of the collection (added after ``added_after``, when given) as one STIX bundle dict."""
    import requests
    from taxii2client.exceptions import TAXIIServiceException
    from taxii2client.v21 import as_pages

    col = _collection(t)
    objects: list[dict[str, Any]] = []
    kwargs = {"added_after": added_after} if added_after else {}
    try:
        for env in as_pages(col.get_objects, per_request=objects_per_request, **kwargs):
            objects += list(env.get("objects") or [])
    except (requests.RequestException, TAXIIServiceException) as exc:
        raise _fail(t, exc, f"pulling objects ({len(objects)} received so far)") from exc
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}


def write_json_atomically(doc: dict[str, Any], path: str | Path) -> Path:
    """Write ``doc`` to ``path`` through a temporary file in the same folder and a rename (never a half file)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=p.name + ".", suffix=".part", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p
