"""Indicators for peers and researchers: a Meta-style CSV and a STIX 2.1 ``report`` at TLP:CLEAR.

Consumes the release context; produces ``indicators/indicators.csv`` (``indicator_type,indicator_value,comment,ds``) and
``indicators/indicators.stix.json`` (a bundle: the TLP:CLEAR marking definition, the publishing identity, one ``indicator`` per
domain and URL, and a ``report`` that refers to them, every object marked TLP:CLEAR).

Which indicators, from the data: domains and hashtags the disclosed accounts concentrate on (used by at least
:data:`MIN_ACCOUNTS` of them, and at least :data:`MIN_SHARE` of all their uses in the workspace are theirs — a
domain everybody shares says nothing), the pseudonyms of the disclosed protected accounts (they join the archive)
and the handles of disclosed accounts at or above the follower threshold. Every comment carries its evidence
(counts). Extra indicators can come from a CSV with a ``tlp`` column (an analyst's list, a peer's tip): any marked
stricter than CLEAR is refused (:class:`~flockwatch.errors.RefusedError` ``TLP_STRICTER_THAN_CLEAR``), or dropped and listed with
``drop_restricted``.
"""

from __future__ import annotations

import csv
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import stix2

from flockwatch.errors import InputFileError, RefusedError

if TYPE_CHECKING:
    from flockwatch.disclose.release import Release, _Context

COLUMNS = ("indicator_type", "indicator_value", "comment", "ds")
MIN_ACCOUNTS = 3
MIN_SHARE = 0.5
MAX_EACH = 50
#: TLP 2.0 marking definitions (OASIS cti-stix-common-objects, extension-definition tlp-2.0)
TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_ORDER = {"clear": 0, "white": 0, "green": 1, "amber": 2, "amber+strict": 3, "red": 4}
TLP_CLEAR_DEFINITION = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": TLP_IDS["clear"],
    "created": "2022-10-01T00:00:00.000Z",
    "name": "TLP:CLEAR",
    "extensions": {TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": "clear"}},
}
_NAMESPACE = uuid.UUID("6f1c1d2e-0b7a-4c55-9d59-3f1e4b7d2a10")


@dataclass(frozen=True)
class Indicator:
    indicator_type: str
    indicator_value: str
    comment: str
    tlp: str = "clear"


def tlp_level(label: str) -> str:
    """``TLP:AMBER`` / ``amber`` / ``white`` → the TLP 2.0 level name; unknown labels are an error."""
    x = label.strip().lower().removeprefix("tlp:").strip()
    if x not in TLP_ORDER:
        raise ValueError(f"unknown TLP marking {label!r}; known: {', '.join(sorted(TLP_ORDER))}")
    return "clear" if x == "white" else x


def read_extra_indicators(path: Path) -> list[Indicator]:
    """Indicators from a CSV with ``indicator_type,indicator_value`` and optional ``comment``, ``tlp`` columns."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InputFileError(path, f"cannot read indicators: {exc}") from None
    out = []
    for i, row in enumerate(rows, start=2):
        t, v = (row.get("indicator_type") or "").strip(), (row.get("indicator_value") or "").strip()
        if not t or not v:
            raise InputFileError(path, f"line {i}: indicator_type and indicator_value are required")
        try:
            level = tlp_level(row.get("tlp") or "")
        except ValueError as exc:
            raise InputFileError(path, f"line {i}: {exc} (a missing marking is not assumed to be CLEAR)") from None
        out.append(Indicator(t, v, (row.get("comment") or "").strip(), level))
    return out


def enforce_clear(indicators: list[Indicator], drop_restricted: bool) -> tuple[list[Indicator], list[str]]:
    """Only TLP:CLEAR indicators may be published: refuse (or drop and list) the others."""
    restricted = [x for x in indicators if TLP_ORDER[x.tlp] > 0]
    if restricted and not drop_restricted:
        first = restricted[0]
        raise RefusedError(
            "TLP_STRICTER_THAN_CLEAR",
            f"{len(restricted)} indicator(s) came in under a stricter marking than TLP:CLEAR (first: "
            f"{first.indicator_type} {first.indicator_value!r} at TLP:{first.tlp.upper()}); a public release may only "
            "carry TLP:CLEAR — drop them with --drop-restricted-indicators",
        )
    notes = [f"dropped {x.indicator_type} indicator at TLP:{x.tlp.upper()} (stricter than CLEAR)" for x in restricted]
    return [x for x in indicators if TLP_ORDER[x.tlp] == 0], notes


def derive_indicators(c: _Context) -> list[Indicator]:
    """Indicators from the data (module docstring); protected identifiers appear only as pseudonyms."""
    e, s, p = c.ws.engine, c.s, c.protection
    out: list[Indicator] = []
    for kind, table, col in (("domain", "action_urls", "domain"), ("hashtag", "action_hashtags", "hashtag")):
        rows = e.sql(
            f"""WITH ours AS (SELECT x.{col} AS v, count(*) AS n, count(DISTINCT a.account_id) AS accounts
                              FROM {table} x JOIN {s.acts} a ON a.action_id = x.action_id
                              WHERE x.platform = ? AND x.{col} IS NOT NULL GROUP BY 1),
                     alls AS (SELECT {col} AS v, count(*) AS n FROM {table}
                              WHERE platform = ? AND {col} IN (SELECT v FROM ours) GROUP BY 1)
                SELECT ours.v, ours.n, ours.accounts, alls.n FROM ours JOIN alls USING (v)
                WHERE ours.accounts >= ? AND ours.n >= ? * alls.n
                ORDER BY ours.n DESC, ours.v LIMIT {MAX_EACH}""",
            [c.platform, c.platform, MIN_ACCOUNTS, MIN_SHARE],
        ).rows()
        for v, n, accounts, total in rows:
            value = p.scrub(v) or v
            out.append(
                Indicator(
                    kind, value, f"used in {n} posts by {accounts} disclosed accounts ({n / total:.0%} of its uses)"
                )
            )
    for sub in c.subjects.subjects:
        pid = p.account_pseudonym.get(sub.account_id)
        if pid:
            out.append(Indicator(f"{c.platform}_account_pseudonym", pid, f"{sub.role} account; joins the archive"))
    named = e.sql(
        f"""SELECT screen_name, follower_count FROM accounts WHERE platform = ? AND follower_count >= ?
            AND account_id IN (SELECT account_id FROM {s.members}) AND screen_name IS NOT NULL ORDER BY 1""",
        [c.platform, c.options.threshold_followers],
    ).rows()
    for handle, followers in named:
        out.append(Indicator(f"{c.platform}_handle", handle, f"{followers} followers (above the threshold)"))
    return out


def stix_bundle(indicators: list[Indicator], c: _Context) -> dict[str, object]:
    """A small STIX 2.1 bundle: identity, domain/URL indicators, and one report, all at TLP:CLEAR."""
    marking = [TLP_IDS["clear"]]
    ts = f"{c.when.isoformat()}T00:00:00Z"
    identity = stix2.Identity(
        id=f"identity--{uuid.uuid5(_NAMESPACE, 'publisher')}",
        name="flockwatch disclosure",
        identity_class="organization",
        object_marking_refs=marking,
        created=ts,
        modified=ts,
    )
    objects: list[stix2.v21._STIXBase21] = [identity]
    for ind in indicators:
        if ind.indicator_type == "domain":
            pattern = f"[domain-name:value = '{_stix_str(ind.indicator_value)}']"
        elif ind.indicator_type == "url":
            pattern = f"[url:value = '{_stix_str(ind.indicator_value)}']"
        else:
            continue
        objects.append(
            stix2.Indicator(
                id=f"indicator--{uuid.uuid5(_NAMESPACE, c.prefix + '|' + pattern)}",
                created_by_ref=identity.id,
                name=f"{ind.indicator_type} {ind.indicator_value}",
                description=ind.comment,
                pattern=pattern,
                pattern_type="stix",
                valid_from=ts,
                created=ts,
                modified=ts,
                indicator_types=["attribution"],
                object_marking_refs=marking,
            )
        )
    draft = "DRAFT — " if c.subjects.draft else ""
    report = stix2.Report(
        id=f"report--{uuid.uuid5(_NAMESPACE, c.prefix)}",
        created_by_ref=identity.id,
        name=f"{draft}Information operation disclosure {c.prefix}",
        description=(
            f"{draft}{len(c.subjects.subjects)} accounts ({c.subjects.count('core')} core, "
            f"{c.subjects.count('amplifier')} amplifiers) on {c.platform}; archive {c.prefix}; key id {c.key_id}."
        ),
        published=ts,
        created=ts,
        modified=ts,
        report_types=["threat-actor", "indicator"],
        labels=["draft"] if c.subjects.draft else ["coordinated-inauthentic-behaviour"],
        object_refs=[o.id for o in objects],
        object_marking_refs=marking,
    )
    objects.append(report)
    bundle: dict[str, object] = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid5(_NAMESPACE, c.prefix + '|bundle')}",
        "objects": [TLP_CLEAR_DEFINITION, *(json.loads(o.serialize()) for o in objects)],
    }
    return bundle


def _stix_str(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def write_indicators(c: _Context, r: Release) -> tuple[list[Path], list[str]]:
    """Write ``indicators.csv`` and ``indicators.stix.json``; returns their paths and notes (dropped indicators)."""
    derived = derive_indicators(c)
    extra = read_extra_indicators(c.options.extra_indicators) if c.options.extra_indicators else []
    kept, notes = enforce_clear(derived + extra, c.options.drop_restricted_indicators)
    scrub = c.protection.scrub
    kept = [Indicator(x.indicator_type, scrub(x.indicator_value) or "", scrub(x.comment) or "", x.tlp) for x in kept]
    prefix = "DRAFT_" if c.subjects.draft else ""
    # beside the archive only the archive's CSVs: `flockwatch ingest DIR/*.csv` must read the archive and nothing else
    folder = r.out_dir / "indicators"
    folder.mkdir(exist_ok=True)
    csv_path = folder / f"{prefix}indicators.csv"
    ds = c.when.isoformat()
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for x in kept:
            comment = ("DRAFT: " if c.subjects.draft else "") + x.comment
            w.writerow((x.indicator_type, x.indicator_value, comment, ds))
    stix_path = folder / f"{prefix}indicators.stix.json"
    stix_path.write_text(json.dumps(stix_bundle(kept, c), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [csv_path, stix_path], notes
