"""Import the State Media Matrix and the curated facts into the registry.

Consumes ``data/State_Media_Matrix.csv`` (ASD-at-GMF, MIT; typology by MJRC's State Media Monitor; or another CSV
with the same columns) and ``data/curated_facts.json`` (see :meth:`Registry.load`); produces outlets, assets and
facts in one transaction and an :class:`ImportSummary`.

Mapping, and why:

- one outlet per (country, media company); a curated outlet claims the Matrix rows of a company whose name is one of
  its names or aliases, or, with ``matrix_assets``, only the rows of a company whose asset names match a pattern
  (CGTN is a China Media Group asset in the Matrix, but an outlet with its own accounts).
- each typology code becomes one ``classification`` fact (source "State Media Matrix (ASD), MJRC typology",
  dated 2023-08-24, the CSV's last change), carrying the typology's own decision table (direct state funding /
  governance control / editorial control) as what the classification says, never as primary findings.
- the URL column gives domains; social-link columns give platform accounts. Links that name no valid account
  (the Matrix has hand-entered mistakes) and rows without a country or company are skipped and reported.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from flockwatch.errors import InputFileError, ValidationError
from flockwatch.policy.countries import country_code
from flockwatch.policy import store
from flockwatch.policy.facts import parse_date, validate_fact
from flockwatch.policy.normalise import SOCIAL_HOSTS, host_key, name_key, social_account
from flockwatch.policy.registry import Registry

MATRIX_ORIGIN = "state-media-matrix"
CURATED_ORIGIN = "curated"
MATRIX_SOURCE = "State Media Matrix (ASD), MJRC typology"
MATRIX_DATE = "2023-08-24"  # the shipped CSV's last change (ASD-at-GMF commit d911508)
SCHEME = "MJRC State Media Monitor"
MATRIX_CONFIDENCE = 0.7
# a query mark in the Matrix ("ISFM?") says the classifier was unsure: below every policy's min_confidence
UNSURE_CONFIDENCE = 0.4

# MJRC State Media Monitor typology: code -> (label, direct state funding, governance/ownership control,
# editorial control); None = "any" in the Monitor's decision table
TYPOLOGY: dict[str, tuple[str, bool | None, bool, bool]] = {
    "SC": ("state-controlled", True, True, True),
    "CaPu": ("captured public/state-managed", False, True, True),
    "CaPr": ("captured private", None, False, True),
    "ISFM": ("independent state-funded and state-managed", True, True, False),
    "ISF": ("independent state-funded", True, False, False),
    "ISM": ("independent state-managed", False, True, False),
    "IP": ("independent public", False, False, False),
}
SOCIAL_COLUMNS = {"Twitter Link": "twitter", "Facebook Link": "facebook", "Instagram Link": "instagram",
                  "Youtube Link": "youtube", "Telegram Link": "telegram", "VK Link": "vk", "Tiktok Link": "tiktok"}
REQUIRED_COLUMNS = {"Country", "Media company", "Main assets", "URL", "Typology"}


@dataclass
class ImportSummary:
    status: str = "imported"
    rows_read: int = 0
    outlets: int = 0
    assets: int = 0
    facts: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skipped_count"] = len(self.skipped)
        return d


def shipped_matrix() -> Path:
    return Path(str(resources.files("flockwatch.policy").joinpath("data/State_Media_Matrix.csv")))


def shipped_curated() -> dict[str, Any]:
    return json.loads(resources.files("flockwatch.policy").joinpath("data/curated_facts.json")
                      .read_text(encoding="utf-8"))


def classification_fact(code: str, snapshot_date: str = MATRIX_DATE) -> dict[str, Any]:
    unsure = code.endswith("?")
    base = code.rstrip("?")
    if base not in TYPOLOGY:
        raise ValidationError(f"unknown State Media Monitor typology {code!r}; known: {', '.join(TYPOLOGY)}")
    label, funding, governance, editorial = TYPOLOGY[base]
    value: dict[str, Any] = {"scheme": SCHEME, "category": code, "year": int(snapshot_date[:4]),
                             "state_controlled": editorial, "governance_control": governance,
                             "editorial_control": editorial}
    if funding is not None:
        value["direct_state_funding"] = funding
    return {"kind": "classification", "value": value, "source": MATRIX_SOURCE, "date": snapshot_date,
            "confidence": UNSURE_CONFIDENCE if unsure else MATRIX_CONFIDENCE,
            "note": f"MJRC typology {code}: {label}" + (" (marked unsure in the Matrix)" if unsure else "")}


def import_registry(reg: Registry, matrix_csv: str | Path | None = None, curated: dict[str, Any] | None = None,
                    *, with_curated: bool = True, snapshot_date: str = MATRIX_DATE) -> ImportSummary:
    """Import the curated facts and a Matrix snapshot (the shipped ones by default) in one transaction.

    Importing the same file content twice changes nothing (status ``already imported``). A later snapshot (another
    file, a later ``snapshot_date``) adds its classifications to the same outlets and supersedes their older
    classifications from the same scheme: the Monitor reclassifies yearly, and a reclassification is a fact change
    that re-deciding turns into new determinations.
    """
    path = Path(matrix_csv) if matrix_csv else shipped_matrix()
    rows = _read_matrix(path)
    snapshot = parse_date(snapshot_date, "snapshot date")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    summary = ImportSummary(rows_read=len(rows))
    if reg.conn.execute("SELECT 1 FROM media_imports WHERE content_sha256 = ?", (digest,)).fetchone():
        summary.status = "already imported"
        return summary
    latest = reg.conn.execute("SELECT max(snapshot_date) FROM media_imports").fetchone()[0]
    if latest and snapshot <= latest:
        raise ValidationError(f"snapshot date {snapshot} is not after the last imported snapshot ({latest}); "
                              "give the new snapshot's date with --snapshot-date")
    before = reg.counts()
    doc = (curated if curated is not None else shipped_curated()) if with_curated else {"outlets": []}
    curated_loaded = reg.conn.execute("SELECT 1 FROM media_outlets WHERE origin = ? LIMIT 1",
                                      (CURATED_ORIGIN,)).fetchone() is not None
    with reg.transaction():
        claims = _curated_claims(reg, doc, load=not curated_loaded) if doc.get("outlets") else []
        _load_matrix(reg, rows, claims, f"{MATRIX_ORIGIN}:{path.name}", snapshot, summary)
        reg.conn.execute("INSERT INTO media_imports (content_sha256, file_name, snapshot_date, imported_at) "
                         "VALUES (?, ?, ?, ?)", (digest, path.name, snapshot, store.utc_now()))
    after = reg.counts()
    summary.outlets = after["outlets"] - before["outlets"]
    summary.assets = after["assets"] - before["assets"]
    summary.facts = after["facts"] - before["facts"]
    return summary


def _read_matrix(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise InputFileError(path, "no such file")
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
            if missing:
                raise InputFileError(path, f"not a State Media Matrix CSV: missing columns {sorted(missing)}")
            return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not UTF-8 text: {exc}") from None


Claim = tuple[str, str, "re.Pattern[str] | None", int]


def _curated_claims(reg: Registry, doc: dict[str, Any], load: bool) -> list[Claim]:
    """Load the curated document (once); return Matrix claims (country code, company key, asset pattern, outlet).

    Claims come from the document's own names and aliases, not from aliases the Matrix added on an earlier import,
    so that every snapshot maps its rows the same way."""
    if load:
        plain = {**doc, "outlets": [{k: v for k, v in o.items() if k != "matrix_assets"} for o in doc["outlets"]]}
        reg.load(plain, origin=CURATED_ORIGIN)
    claims = []
    for entry in doc["outlets"]:
        o = reg.outlet(entry["name"], entry["country"])
        for name in [entry["name"], *entry.get("aliases", [])]:
            claims.append((o.country_code, name_key(name), None, o.outlet_id))
        for m in entry.get("matrix_assets", []):
            claims.append((o.country_code, name_key(m["company"]), re.compile(m["pattern"], re.I), o.outlet_id))
    # pattern claims first: they are narrower than a whole-company claim
    claims.sort(key=lambda c: c[2] is None)
    return claims


def _load_matrix(reg: Registry, rows: list[dict[str, str]], claims: list, origin: str, snapshot: str,
                 summary: ImportSummary) -> None:
    company_outlets: dict[tuple[str, str], int] = {
        (r["country_code"], r["name_key"]): r["outlet_id"]
        for r in reg.conn.execute("SELECT outlet_id, country_code, name_key FROM media_outlets")}
    classified: set[tuple[int, str]] = set()
    reclassified: set[int] = set()
    for line, row in enumerate(rows, start=2):
        if not any(row.values()):
            summary.skipped.append({"line": line, "reason": "empty row"})
            continue
        company = row.get("Media company", "")
        try:
            code = country_code(row.get("Country", ""))
        except ValidationError as exc:
            summary.skipped.append({"line": line, "company": company, "reason": str(exc)})
            continue
        if not company:
            summary.skipped.append({"line": line, "reason": "no media company"})
            continue
        typology = row.get("Typology", "")
        if typology.rstrip("?") not in TYPOLOGY:
            summary.skipped.append({"line": line, "company": company, "reason": f"unknown typology {typology!r}"})
            continue
        key = name_key(company)
        outlet_id = next((oid for c, k, pat, oid in claims
                          if c == code and k == key and (pat is None or pat.search(row.get("Main assets", "")))),
                         None)
        if outlet_id is None:
            outlet_id = company_outlets.get((code, key))
        if outlet_id is None:
            outlet_id = reg.add_outlet(company, code, origin=origin)
            company_outlets[(code, key)] = outlet_id
        asset_name = row.get("Main assets", "")
        if asset_name and name_key(asset_name) != key:
            reg.add_aliases(outlet_id, [asset_name])
        if (outlet_id, typology) not in classified:
            fid = reg.add_fact(outlet_id, validate_fact(classification_fact(typology, snapshot), f"Matrix line {line}"))
            classified.add((outlet_id, typology))
            if outlet_id not in reclassified:
                reclassified.add(outlet_id)
                # this snapshot replaces the outlet's classifications from earlier snapshots of the same scheme
                reg.conn.execute(
                    "UPDATE media_facts SET superseded_by = ? WHERE outlet_id = ? AND kind = 'classification' "
                    "AND superseded_by IS NULL AND source_date < ? AND json_extract(value_json, '$.scheme') = ?",
                    (fid, outlet_id, snapshot, SCHEME))
        source = f"State Media Matrix (ASD), line {line}"
        url = row.get("URL", "")
        if url:
            host = host_key(url)
            if host and host not in SOCIAL_HOSTS:
                reg.add_asset(outlet_id, "domain", host, source=source)
            else:
                summary.skipped.append({"line": line, "company": company, "reason": f"URL {url!r} names no own domain"})
        for column, platform in SOCIAL_COLUMNS.items():
            link = row.get(column, "")
            if not link:
                continue
            acct = social_account(link)
            if acct is None or acct[0] != platform:
                summary.skipped.append({"line": line, "company": company,
                                        "reason": f"{column} {link!r} names no valid {platform} account"})
                continue
            reg.add_asset(outlet_id, "account", acct[1], platform=platform, source=source)
