"""One public release: archive, statement, indicators, statements of reasons, manifest — and its own leak check.

Consumes an open workspace, the :class:`~flockwatch.disclose.subjects.Subjects` to disclose and a release key;
produces the files of :class:`Release` in one directory, a ``manifest.json`` (what was published, when, by whom,
with which key id — never the key — and each file's SHA-256), and refuses to leave a release whose own leak search
finds a protected identifier (:class:`~flockwatch.errors.RefusedError` ``PROTECTED_IDENTIFIER``; the files are removed).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flockwatch.disclose.archive import ArchiveFiles, archive_prefix, prepare_scope, write_archive
from flockwatch.disclose.keys import ReleaseKey
from flockwatch.disclose.leaks import LeakReport, search_release
from flockwatch.disclose.pseudonyms import DEFAULT_THRESHOLD_FOLLOWERS, Protection
from flockwatch.disclose.subjects import Subjects, describe
from flockwatch.engine import Scratch
from flockwatch.errors import RefusedError, ValidationError
from flockwatch.workspace import Workspace

MANIFEST = "manifest.json"
FORMAT = "flockwatch-disclosure/1"


@dataclass
class ReleaseOptions:
    set_name: str | None = None
    release_n: int = 1
    threshold_followers: int = DEFAULT_THRESHOLD_FOLLOWERS
    platform: str | None = None
    pseudonymise_post_ids: bool = False
    statement: bool = True
    pdf: bool | None = None  # None: when Chromium is installed
    attribution: dict[str, Any] | None = None
    compute_attribution: bool = True
    policies: Sequence[str] = ()
    appeal_url: str = "https://help.example.org/appeal"
    published_by: str | None = None
    when: dt.date | None = None
    extra_indicators: Path | None = None
    drop_restricted_indicators: bool = False
    n_workers: int | None = None  # None: the cores, for large releases


@dataclass
class Release:
    out_dir: Path
    key_id: str
    draft: bool
    archive: ArchiveFiles
    files: dict[str, str] = field(default_factory=dict)
    leak_report: LeakReport | None = None
    notes: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


ProgressFn = Callable[[str], None]


def publish(
    ws: Workspace,
    subjects: Subjects,
    key: ReleaseKey,
    out_dir: str | Path,
    options: ReleaseOptions | None = None,
    progress: ProgressFn | None = None,
) -> Release:
    """Write a release into ``out_dir`` (see module docstring)."""
    opt = options or ReleaseOptions()
    say = progress or (lambda _text: None)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise ValidationError(f"{out} is not empty; a release goes into a new directory (nothing was written)")
    out.mkdir(parents=True, exist_ok=True)
    when = opt.when or dt.datetime.now(dt.UTC).date()
    prefix = archive_prefix(opt.set_name or subjects.name, when, opt.release_n, subjects.draft)
    e = ws.engine
    with e.scratch("disclose") as s:
        say("scoping the disclosed accounts")
        platform = prepare_scope(ws, s, subjects, opt.platform)
        say("writing the archive")
        archive, protection = write_archive(
            ws,
            s,
            subjects,
            key,
            out,
            prefix,
            platform,
            opt.threshold_followers,
            opt.pseudonymise_post_ids,
            opt.n_workers,
        )
        release = Release(out_dir=out, key_id=key.key_id, draft=subjects.draft, archive=archive)
        for f in (archive.users_file, archive.tweets_file, archive.zip_file):
            release.files[f.name] = _sha256(f)
        context = _Context(ws, s, subjects, protection, platform, opt, when, prefix, key.key_id)
        for step, fn in _STEPS:
            say(step)
            for path in fn(context, release):
                release.files[str(path.relative_to(out))] = _sha256(path)
    say("searching the release for protected identifiers")
    report = search_release(out, protection.protected_ids | protection.protected_handles, opt.n_workers)
    release.leak_report = report
    release.manifest = _manifest(release, subjects, opt, when, protection.n_protected)
    (out / MANIFEST).write_text(json.dumps(release.manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not report.clean:
        for p in sorted(out.rglob("*"), reverse=True):  # files before their folders
            if p.is_file():
                p.unlink()
            elif p.is_dir():
                p.rmdir()
        first = report.leaks[0] if report.leaks else None
        where = f"; first: {first.value!r} in {first.file} ({first.form})" if first else ""
        raise RefusedError(
            "PROTECTED_IDENTIFIER",
            f"the release would expose {len(report.leaks)} protected identifier(s){where}; "
            f"{'; '.join(report.unreadable)} — nothing was published",
        )
    return release


@dataclass
class _Context:
    ws: Workspace
    s: Scratch
    subjects: Subjects
    protection: Protection
    platform: str
    options: ReleaseOptions
    when: dt.date
    prefix: str
    key_id: str


def _statement_step(c: _Context, r: Release) -> list[Path]:
    if not c.options.statement:
        return []
    from flockwatch.disclose.statement import write_statement

    paths, notes = write_statement(c, r)
    r.notes.extend(notes)
    return paths


def _indicator_step(c: _Context, r: Release) -> list[Path]:
    from flockwatch.disclose.indicators import write_indicators

    paths, notes = write_indicators(c, r)
    r.notes.extend(notes)
    return paths


def _reasons_step(c: _Context, r: Release) -> list[Path]:
    from flockwatch.disclose.reasons import write_statements_of_reasons

    return write_statements_of_reasons(c, r)


_STEPS: list[tuple[str, Callable[[_Context, Release], list[Path]]]] = [
    ("writing the statement", _statement_step),
    ("writing indicators", _indicator_step),
    ("writing statements of reasons", _reasons_step),
]


def _manifest(r: Release, subjects: Subjects, opt: ReleaseOptions, when: dt.date, n_protected: int) -> dict[str, Any]:
    a = r.archive
    return {
        "format": FORMAT,
        "draft": subjects.draft,
        "watermark": "DRAFT — not for publication" if subjects.draft else None,
        "published_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "release_date": when.isoformat(),
        "published_by": opt.published_by or getpass.getuser(),
        "key_id": r.key_id,
        "subjects": describe(subjects),
        "platform": a.platform,
        "threshold_followers": opt.threshold_followers,
        "archive": {
            "prefix": a.prefix,
            "accounts": a.accounts,
            "posts": a.posts,
            "protected_accounts_pseudonymised": n_protected,
            "disclosed_accounts_named": a.public_accounts_named,
            "post_ids": "pseudonymised" if a.pseudonymised_post_ids else "kept (linkable to the platform)",
        },
        "leak_search": None if r.leak_report is None else r.leak_report.to_dict(),
        "files": r.files,
        "notes": r.notes,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def audit_release(store: Any, release: Release, subjects: Subjects, actor: str, os_user: str | None = None) -> None:
    """Record the release in the audit chain: who published what, from which case, with which key id (never the
    key), and each file's SHA-256."""
    from flockwatch.review import audit

    ref = f"case:{subjects.case_id}" if subjects.case_id else f"draft:{subjects.source}"
    audit.append(
        store,
        actor=actor,
        os_user=os_user,
        action="disclose.draft" if subjects.draft else "disclose.release",
        object_ref=ref,
        reason=f"public release {release.archive.prefix}",
        evidence=[{"key_id": release.key_id, "files": release.files}],
        after={
            "key_id": release.key_id,
            "prefix": release.archive.prefix,
            "accounts": release.archive.accounts,
            "posts": release.archive.posts,
            "out_dir": str(release.out_dir),
        },
    )
