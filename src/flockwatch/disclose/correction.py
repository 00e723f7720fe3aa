"""Corrections: when an appeal reverses a decision after a release, withdraw the account from what was published.

Consumes a published release directory (its ``manifest.json`` and archive CSVs), the release's key (checked against
the manifest's key id: pseudonyms can only be recomputed with the key that made them) and the raw ids of the
accounts whose decision was reversed; produces, in a new directory, the archive without those accounts' rows (the
next release number of the same set, zipped, same columns) and ``correction.json`` / ``correction.html``: which
pseudonyms were withdrawn, how many accounts and posts the archive lost, and the release it corrects. A withdrawn
account that is not in the archive is reported, not silently ignored. The correction is searched for the withdrawn
accounts' raw ids like any release.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flockwatch.disclose.keys import ReleaseKey
from flockwatch.disclose.leaks import search_release
from flockwatch.disclose.pseudonyms import Pseudonymiser
from flockwatch.disclose.release import MANIFEST
from flockwatch.errors import InputFileError, RefusedError, ValidationError

_PREFIX = re.compile(r"^(?P<set>.+)_(?P<month>\d{6})_(?P<n>\d+)$")


@dataclass
class Correction:
    out_dir: Path
    corrects: str
    withdrawn: list[str]
    not_found: list[str]
    accounts_before: int
    accounts_after: int
    posts_before: int
    posts_after: int
    files: list[str] = field(default_factory=list)


def _filter_csv(src: Path, dst: Path, drop: set[str]) -> tuple[int, int]:
    with src.open(newline="", encoding="utf-8") as fin, dst.open("w", newline="", encoding="utf-8") as fout:
        reader = csv.reader(fin)
        writer = csv.writer(fout)
        header = next(reader)
        writer.writerow(header)
        col = header.index("userid")
        before = after = 0
        for row in reader:
            before += 1
            if row[col] in drop:
                continue
            writer.writerow(row)
            after += 1
    return before, after


def withdraw(release_dir: str | Path, key: ReleaseKey, account_ids: list[str], out_dir: str | Path) -> Correction:
    """Write the correction of ``release_dir`` without ``account_ids`` into ``out_dir`` (module docstring)."""
    src, out = Path(release_dir), Path(out_dir)
    try:
        manifest: dict[str, Any] = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(src / MANIFEST, f"not a release manifest: {exc}") from None
    if manifest.get("key_id") != key.key_id:
        raise ValidationError(
            f"{src} was published with key {manifest.get('key_id')}, not {key.key_id}; pass that release's key "
            "(a rotated key is kept as FILE.<key_id>.retired)"
        )
    if out.exists() and any(out.iterdir()):
        raise ValidationError(f"{out} is not empty; a correction goes into a new directory")
    if not account_ids:
        raise ValidationError("no accounts to withdraw")
    prefix = manifest["archive"]["prefix"]
    m = _PREFIX.match(prefix)
    if not m:
        raise InputFileError(src / MANIFEST, f"archive prefix {prefix!r} is not <set>_<MMYYYY>_<n>")
    new_prefix = f"{m['set']}_{m['month']}_{int(m['n']) + 1}"
    pseud = Pseudonymiser(key, manifest["platform"])
    by_pseudonym = {pseud.account(a): a for a in account_ids}
    drop = set(by_pseudonym) | set(account_ids)  # accounts above the threshold were published under their own id
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for kind in ("users", "tweets"):
        name = f"{prefix}_{kind}_csv_hashed.csv"
        if not (src / name).exists():
            raise InputFileError(src / name, "missing from the release")
        counts[kind] = _filter_csv(src / name, out / f"{new_prefix}_{kind}_csv_hashed.csv", drop)
    with (src / f"{prefix}_users_csv_hashed.csv").open(newline="", encoding="utf-8") as fh:
        present = {row["userid"] for row in csv.DictReader(fh)}
    withdrawn = sorted(p for p in by_pseudonym if p in present) + sorted(a for a in account_ids if a in present)
    not_found = sorted(a for p, a in by_pseudonym.items() if p not in present and a not in present)
    zip_path = out / f"{new_prefix}_csv_hashed.zip"
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for kind in ("users", "tweets"):
            f = out / f"{new_prefix}_{kind}_csv_hashed.csv"
            zf.write(f, arcname=f.name)
    # a withdrawn account is named in the correction only by its pseudonym (or its public handle's id)
    not_found_pseudonyms = sorted(pseud.account(a) for a in not_found)
    corr = Correction(
        out_dir=out,
        corrects=prefix,
        withdrawn=withdrawn,
        not_found=not_found_pseudonyms,
        accounts_before=counts["users"][0],
        accounts_after=counts["users"][1],
        posts_before=counts["tweets"][0],
        posts_after=counts["tweets"][1],
    )
    doc = {
        "format": "flockwatch-correction/1",
        "corrects": prefix,
        "replaced_by": new_prefix,
        "key_id": key.key_id,
        "draft": manifest.get("draft", False),
        "issued_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reason": "the enforcement decision on these accounts was reversed on appeal",
        "withdrawn_accounts": withdrawn,
        "not_in_release": not_found_pseudonyms,
        "accounts": {"before": corr.accounts_before, "after": corr.accounts_after},
        "posts": {"before": corr.posts_before, "after": corr.posts_after},
    }
    (out / "correction.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    items = "".join(f"<li><code>{html.escape(x)}</code></li>" for x in withdrawn)
    draft = "<p><strong>DRAFT — not for publication.</strong></p>" if doc["draft"] else ""
    (out / "correction.html").write_text(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Correction to {html.escape(prefix)}</title>"
        f"</head><body>{draft}<h1>Correction to release {html.escape(prefix)}</h1>"
        f"<p>The decision on {len(withdrawn)} account(s) was reversed on appeal. They are withdrawn from the archive, "
        f"which is re-issued as <code>{html.escape(new_prefix)}</code>: {corr.accounts_after:,} accounts "
        f"(was {corr.accounts_before:,}) and {corr.posts_after:,} posts (was {corr.posts_before:,}). Please delete "
        f"the earlier files and use these.</p><ul>{items}</ul></body></html>\n",
        encoding="utf-8",
    )
    report = search_release(out, [a for a in account_ids if a not in present])
    if not report.clean:
        raise RefusedError(
            "PROTECTED_IDENTIFIER", f"the correction would expose {len(report.leaks)} withdrawn account id(s)"
        )
    corr.files = sorted(p.name for p in out.iterdir())
    return corr


def reversed_accounts(ws: Any, case_id: str) -> list[str]:
    """The account subjects of a case whose decision was reversed on appeal."""
    from flockwatch.review.cases import get_case

    snap = get_case(ws.ops(), case_id)
    ids = [s.subject_id for s in snap.subjects or [] if s.kind == "account" and s.status == "reversed"]
    if not ids:
        raise ValidationError(f"case {case_id} has no account reversed on appeal; nothing to withdraw")
    return ids


def audit_correction(store: Any, corr: Correction, case_id: str, key_id: str, actor: str, os_user: str | None) -> None:
    """Record the correction in the audit chain (the withdrawn accounts by pseudonym)."""
    from flockwatch.review import audit

    audit.append(
        store,
        actor=actor,
        os_user=os_user,
        action="disclose.withdraw",
        object_ref=f"case:{case_id}",
        reason=f"correction of release {corr.corrects}",
        evidence=[{"key_id": key_id, "withdrawn": corr.withdrawn}],
        after={"accounts": corr.accounts_after, "posts": corr.posts_after, "out_dir": str(corr.out_dir)},
    )
