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

First use: :func:`ensure_shipped_registry` gives a store that was never set up the shipped registry (import, then a
determination per outlet under every shipped policy, effective on the policy's own start date) exactly once; the
"already set up" mark is a row in the store itself (``media_registry_setup``), written in the same transaction as
the data. :func:`shipped_registry` gives a private in-memory copy for answers without a workspace. Both copy rows
from one template built per process (3-4 CPU-seconds to build: every outlet decided under every policy), so that
creating many workspaces (the test suite does) does not re-parse the Matrix each time; a new workspace copies the
template's rows from a cache file shared between processes (``FLOCKWATCH_CACHE_DIR``, default
``~/.cache/flockwatch``), keyed by a digest of the policy package, the store schema and the version, so that a
one-shot command such as ``flockwatch ingest FILE --workspace NEW`` does not pay for the build either.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from flockwatch.errors import InputFileError, ValidationError
from flockwatch.policy.countries import country_code
from flockwatch.policy.facts import parse_date, validate_fact
from flockwatch.policy.normalise import SOCIAL_HOSTS, host_key, name_key, social_account
from flockwatch.policy.registry import Registry
from flockwatch.store import Store, memory_copy, memory_store, utc_now
from flockwatch.store.conn import OpsConnection

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
SOCIAL_COLUMNS = {
    "Twitter Link": "twitter",
    "Facebook Link": "facebook",
    "Instagram Link": "instagram",
    "Youtube Link": "youtube",
    "Telegram Link": "telegram",
    "VK Link": "vk",
    "Tiktok Link": "tiktok",
}
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


def _curated_bytes() -> bytes:
    return resources.files("flockwatch.policy").joinpath("data/curated_facts.json").read_bytes()


def shipped_curated() -> dict[str, Any]:
    return json.loads(_curated_bytes().decode("utf-8"))


def curated_version(doc: dict[str, Any], raw: bytes | None = None) -> dict[str, Any]:
    """What identifies a curated-facts document: the newest source date it cites and a content hash."""
    dates = [str(f.get("date", "")) for o in doc.get("outlets", []) for f in o.get("facts", []) if f.get("date")]
    dates += [str(f.get("date", "")) for f in doc.get("facts", []) if isinstance(f, dict) and f.get("date")]
    body = raw if raw is not None else json.dumps(doc, sort_keys=True).encode("utf-8")
    return {"facts_as_of": max(dates) if dates else None, "sha256": hashlib.sha256(body).hexdigest()[:16]}


def classification_fact(code: str, snapshot_date: str = MATRIX_DATE) -> dict[str, Any]:
    unsure = code.endswith("?")
    base = code.rstrip("?")
    if base not in TYPOLOGY:
        raise ValidationError(f"unknown State Media Monitor typology {code!r}; known: {', '.join(TYPOLOGY)}")
    label, funding, governance, editorial = TYPOLOGY[base]
    value: dict[str, Any] = {
        "scheme": SCHEME,
        "category": code,
        "year": int(snapshot_date[:4]),
        "state_controlled": editorial,
        "governance_control": governance,
        "editorial_control": editorial,
    }
    if funding is not None:
        value["direct_state_funding"] = funding
    return {
        "kind": "classification",
        "value": value,
        "source": MATRIX_SOURCE,
        "date": snapshot_date,
        "confidence": UNSURE_CONFIDENCE if unsure else MATRIX_CONFIDENCE,
        "note": f"MJRC typology {code}: {label}" + (" (marked unsure in the Matrix)" if unsure else ""),
    }


def import_registry(
    reg: Registry,
    matrix_csv: str | Path | None = None,
    curated: dict[str, Any] | None = None,
    *,
    with_curated: bool = True,
    snapshot_date: str = MATRIX_DATE,
) -> ImportSummary:
    """Import the curated facts and a Matrix snapshot (the shipped ones by default) in one transaction.

    Importing the same file content twice changes nothing (status ``already imported``); the check runs inside the
    import's write transaction, so two processes importing at once cannot both import. A later snapshot (another
    file, a later ``snapshot_date``) adds its classifications to the same outlets and supersedes their older
    classifications from the same scheme: the Monitor reclassifies yearly, and a reclassification is a fact change
    that re-deciding turns into new determinations. Each import records its provenance (origin, Matrix file and
    snapshot date, curated-facts version) for :meth:`Registry.provenance`.
    """
    path = Path(matrix_csv) if matrix_csv else shipped_matrix()
    rows = _read_matrix(path)
    snapshot = parse_date(snapshot_date, "snapshot date")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    summary = ImportSummary(rows_read=len(rows))
    if with_curated:
        doc = curated if curated is not None else shipped_curated()
        cur_version = curated_version(doc, None if curated is not None else _curated_bytes())
    else:
        doc, cur_version = {"outlets": []}, None
    shipped = matrix_csv is None and curated is None
    provenance = {
        "matrix": {"source": MATRIX_SOURCE, "file": path.name, "sha256": digest[:16], "snapshot_date": snapshot},
        "curated_facts": cur_version,
        "flockwatch": _flockwatch_version(),
    }
    with reg.transaction():
        if reg.conn.execute("SELECT 1 FROM media_imports WHERE content_sha256 = ?", (digest,)).fetchone():
            summary.status = "already imported"
            return summary
        latest = reg.conn.execute("SELECT max(snapshot_date) FROM media_imports").fetchone()[0]
        if latest and snapshot <= latest:
            raise ValidationError(
                f"snapshot date {snapshot} is not after the last imported snapshot ({latest}); "
                "give the new snapshot's date with --snapshot-date"
            )
        before = reg.counts()
        curated_loaded = (
            reg.conn.execute("SELECT 1 FROM media_outlets WHERE origin = ? LIMIT 1", (CURATED_ORIGIN,)).fetchone()
            is not None
        )
        claims = _curated_claims(reg, doc, load=not curated_loaded) if doc.get("outlets") else []
        _load_matrix(reg, rows, claims, f"{MATRIX_ORIGIN}:{path.name}", snapshot, summary)
        reg.conn.execute(
            "INSERT INTO media_imports (content_sha256, file_name, snapshot_date, imported_at, origin, "
            "provenance_json) VALUES (?, ?, ?, ?, ?, ?)",
            (
                digest,
                path.name,
                snapshot,
                utc_now(),
                "shipped" if shipped else "file",
                json.dumps(provenance, sort_keys=True),
            ),
        )
        after = reg.counts()
    reg._changed()
    summary.outlets = after["outlets"] - before["outlets"]
    summary.assets = after["assets"] - before["assets"]
    summary.facts = after["facts"] - before["facts"]
    return summary


def _flockwatch_version() -> str:
    from flockwatch import __version__

    return __version__


# -- the shipped registry on first use ------------------------------------------------------------------------
#: decided_by of the determinations made when the shipped registry is set up
SHIPPED_DECIDER = "shipped-registry"
# copied in this order (foreign keys point backwards); every other policy table starts empty
_COPIED_TABLES = (
    "media_outlets",
    "media_assets",
    "media_facts",
    "media_imports",
    "policy_determinations",
    "policy_offboarding",
)


@lru_cache(maxsize=1)
def _template() -> Store:
    """The shipped registry, imported and decided once per process in a private in-memory store."""
    from flockwatch.policy.determinations import decide
    from flockwatch.policy.rules import policies

    reg = Registry(OpsConnection(memory_store()))
    import_registry(reg)
    for pol in policies():
        # effective on the policy's own start date, so that answers for any date it was in force rest on a
        # stored determination (a date before it answers "policy not in force")
        decide(reg, pol, as_of=pol.effective_from, decided_by=SHIPPED_DECIDER)
    reg.close()
    return reg.conn.store


#: Where the shipped template's rows are cached between processes (``$XDG_CACHE_HOME/flockwatch``, else
#: ``~/.cache/flockwatch``); ``FLOCKWATCH_CACHE_DIR`` overrides it, an empty value turns the cache off.
CACHE_ENV = "FLOCKWATCH_CACHE_DIR"


def _cache_dir() -> Path | None:
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return Path(env) if env.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "flockwatch"


@lru_cache(maxsize=1)
def _template_key() -> str:
    """A digest of everything the template's rows depend on: flockwatch's version, the policy package (code and
    data: the Matrix, curated facts, rules, how determinations are made) and the store's schema."""
    import flockwatch
    from flockwatch import store

    h = hashlib.sha256(flockwatch.__version__.encode())
    roots = (Path(__file__).parent, Path(store.__file__).parent)
    for root in roots:
        for f in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:32]


@lru_cache(maxsize=1)
def _template_rows() -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """The template's rows per copied table, from the cross-process cache when it matches :func:`_template_key`.

    Building the template imports the Matrix and decides every outlet under every policy (seconds of CPU, paid by
    every process that creates a workspace); the rows are the same for the same code and data, so the first
    process stores them and later ones read them back. A missing, stale or unreadable cache file is rebuilt."""
    import pickle

    folder = _cache_dir()
    path = folder / f"registry-template-{_template_key()}.pickle" if folder is not None else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as fh:
                cached = pickle.load(fh)
            if isinstance(cached, dict) and set(cached) == set(_COPIED_TABLES):
                return cached
        except Exception:  # a damaged cache is rebuilt, never trusted
            pass
    src = OpsConnection(_template())
    try:
        rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table in _COPIED_TABLES:
            got = src.execute(f"SELECT * FROM {table}")
            rows[table] = (list(got[0].keys()) if got else [], [tuple(r) for r in got])
    finally:
        src.close()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
        except OSError:
            pass  # no writable cache: the next process builds the template again
    return rows


def _copy_template(conn: OpsConnection) -> None:
    _insert_rows(conn, _template_rows())


def _insert_rows(dst: OpsConnection, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]) -> None:
    """Insert cached registry rows (ids kept) into an empty store, in :data:`_COPIED_TABLES` order."""
    with dst.transaction():
        for table in _COPIED_TABLES:
            cols, values = rows[table]
            if not values:
                continue
            dst.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values)
            if dst.dialect == "postgresql":
                key = cols[0]
                dst.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), (SELECT max({key}) FROM {table}))"
                )


def copy_registry(src: OpsConnection, dst: OpsConnection, tables: tuple[str, ...] = _COPIED_TABLES) -> None:
    """Copy the registry's rows (ids kept) from one store into an empty one, on any pair of backends."""
    with dst.transaction():
        for table in tables:
            rows = src.execute(f"SELECT * FROM {table}")
            if not rows:
                continue
            cols = rows[0].keys()
            dst.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
            if dst.dialect == "postgresql":
                # explicit ids were copied: move each table's id sequence past them
                key = cols[0]
                dst.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), (SELECT max({key}) FROM {table}))"
                )


def setup_status(reg: Registry) -> str | None:
    """``shipped`` / ``existing`` / ``declined`` once the store's first-use setup ran, else None."""
    row = reg.conn.execute("SELECT status FROM media_registry_setup WHERE setup_id = 1").fetchone()
    return row[0] if row else None


def ensure_shipped_registry(reg: Registry) -> str:
    """Set up the shipped registry in a store that never had one; returns the store's setup status.

    ``shipped``: this call (or an earlier one) put the shipped Matrix, curated facts and determinations under every
    shipped policy there. ``existing``: the store already held outlets or imports when first seen (a workspace
    from before first-use setup, or a curated registry of one's own) and is left as it is. ``declined``: the
    workspace was made with ``--no-registry``. The check and the import share one write transaction, and the mark
    is a row with a fixed primary key, so no store is ever set up twice.
    """
    with reg.transaction():
        status = setup_status(reg)
        if status is not None:
            return status
        pristine = (
            reg.conn.execute("SELECT 1 FROM media_outlets LIMIT 1").fetchone() is None
            and reg.conn.execute("SELECT 1 FROM media_imports LIMIT 1").fetchone() is None
        )
        provenance = "{}"
        if pristine:
            _copy_template(reg.conn)
            provenance = reg.conn.execute(
                "SELECT provenance_json FROM media_imports ORDER BY import_id DESC LIMIT 1"
            ).fetchone()[0]
        status = "shipped" if pristine else "existing"
        reg.conn.execute(
            "INSERT INTO media_registry_setup (setup_id, status, provenance_json, recorded_at) VALUES (1, ?, ?, ?)",
            (status, provenance, utc_now()),
        )
    reg._changed()
    return status


def decline_shipped_registry(reg: Registry) -> str:
    """Mark a store as not wanting the shipped registry (``flockwatch init --no-registry``); returns the status."""
    with reg.transaction():
        status = setup_status(reg)
        if status is None:
            reg.conn.execute(
                "INSERT INTO media_registry_setup (setup_id, status, provenance_json, recorded_at) "
                "VALUES (1, 'declined', '{}', ?)",
                (utc_now(),),
            )
            status = "declined"
    return status


def shipped_registry() -> Registry:
    """A private in-memory copy of the shipped registry with determinations under every shipped policy.

    Used to answer without a workspace: nothing is written anywhere, and each call gets its own copy, so an
    answer cannot be changed by an earlier caller's writes."""
    reg = Registry(OpsConnection(memory_copy(_template())))
    reg.conn.execute(
        "INSERT INTO media_registry_setup (setup_id, status, provenance_json, recorded_at) "
        "SELECT 1, 'shipped', provenance_json, ? FROM media_imports ORDER BY import_id DESC LIMIT 1 "
        "ON CONFLICT DO NOTHING",
        (utc_now(),),
    )
    reg.in_memory_copy = True
    return reg


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


def _load_matrix(
    reg: Registry, rows: list[dict[str, str]], claims: list, origin: str, snapshot: str, summary: ImportSummary
) -> None:
    company_outlets: dict[tuple[str, str], int] = {
        (r["country_code"], r["name_key"]): r["outlet_id"]
        for r in reg.conn.execute("SELECT outlet_id, country_code, name_key FROM media_outlets")
    }
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
        outlet_id = next(
            (
                oid
                for c, k, pat, oid in claims
                if c == code and k == key and (pat is None or pat.search(row.get("Main assets", "")))
            ),
            None,
        )
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
                    f"AND superseded_by IS NULL AND source_date < ? AND {reg.conn.json_field('value_json', 'scheme')} = ?",
                    (fid, outlet_id, snapshot, SCHEME),
                )
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
                summary.skipped.append(
                    {"line": line, "company": company, "reason": f"{column} {link!r} names no valid {platform} account"}
                )
                continue
            reg.add_asset(outlet_id, "account", acct[1], platform=platform, source=source)
