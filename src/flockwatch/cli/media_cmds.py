"""`flockwatch media`: the state-media registry (import, import-affiliations, list, show, decide, history, appeal).

The registry lives in the workspace's ops.sqlite; commands that only write there open the DuckDB warehouse
read-only, so they never contend with an analysis holding it. A workspace whose store never had the shipped
registry gets it on first use (once; see ``policy.matrix.ensure_shipped_registry``).
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.acting import ByOpt, PasswordFileOpt, actor_for
from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.errors import InputFileError, RegistryNotReadyError, ValidationError
from flockwatch.policy import (
    Registry,
    appeals,
    decide,
    ensure_shipped_registry,
    file_appeal,
    get_policy,
    history,
    import_registry,
    review_appeal,
)
from flockwatch.policy.affiliation_import import apply_import, plan_import
from flockwatch.policy.affiliation_store import proposals as stored_proposals
from flockwatch.policy.affiliation_store import review_proposal, store_proposals
from flockwatch.policy.affiliations import read_affiliations
from flockwatch.policy.determinations import offboarding_notices, today
from flockwatch.policy.profile_links import (
    MIN_CONFIDENCE,
    REVIEW_COLUMNS,
    propose_for_workspace,
    review_rows,
)

PolicyOpt = Annotated[str, typer.Option("--policy", "-p", help="Policy id (optionally id@vN).")]


@contextlib.contextmanager
def registry_at(workspace: Path, create: bool = False) -> Iterator[Registry]:
    """The workspace's registry (the shipped one set up on first use), closed with the workspace on leaving the
    block. A registry that cannot answer yet names its fixing command with this workspace."""
    with open_workspace(workspace, create=create, read_only=not create) as ws, Registry.open(ws) as reg:
        ensure_shipped_registry(reg)
        try:
            yield reg
        except RegistryNotReadyError as exc:
            raise exc.for_workspace(workspace) from None


def register(app: typer.Typer) -> None:
    media_app = typer.Typer(
        help="State-media registry: outlets, sourced facts, policy determinations, appeals.", no_args_is_help=True
    )
    appeal_app = typer.Typer(help="Appeals against determinations.", no_args_is_help=True)
    media_app.command("import")(import_)
    media_app.command("import-affiliations")(import_affiliations)
    media_app.command("link-profiles")(link_profiles)
    media_app.command("links")(links)
    media_app.command("review-link")(review_link)
    media_app.command("list")(list_)
    media_app.command("show")(show)
    media_app.command("decide")(decide_)
    media_app.command("history")(history_)
    appeal_app.command("file")(appeal_file)
    appeal_app.command("review")(appeal_review)
    appeal_app.command("list")(appeal_list)
    media_app.add_typer(appeal_app, name="appeal")
    app.add_typer(media_app, name="media")


def _read_json(path: Path) -> object:
    if not path.exists():
        raise InputFileError(path, "no such file")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(path, f"not valid JSON: {exc}") from None


def import_(
    workspace: WorkspaceOpt,
    matrix: Annotated[
        Path | None, typer.Option("--matrix", help="A State Media Matrix CSV (default: shipped).")
    ] = None,
    facts: Annotated[Path | None, typer.Option("--facts", help="A JSON file of outlets/facts/changes to add.")] = None,
    no_curated: Annotated[bool, typer.Option("--no-curated", help="Skip the shipped curated facts.")] = False,
    snapshot_date: Annotated[
        str | None,
        typer.Option("--snapshot-date", help="Date of a newer Matrix snapshot given with --matrix (YYYY-MM-DD)."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Import the shipped State Media Matrix (ASD; MJRC typology) and curated facts, or add facts from a file.

    Example: flockwatch media import --workspace cases/hk2019

    With --facts FILE only that file is loaded (all or nothing). Typology credit: MJRC State Media Monitor.
    """
    with registry_at(workspace, create=True) as reg:
        if facts is not None:
            doc = _read_json(facts)
            counts = reg.load(doc, origin=f"file:{facts.name}")
            result: dict = {"status": "loaded", "file": str(facts), **counts}
        else:
            kw = {"snapshot_date": snapshot_date} if snapshot_date else {}
            result = import_registry(reg, matrix, with_curated=not no_curated, **kw).to_dict()
    if json_:
        print_json(result)
        return
    if facts is not None:
        console.print(f"loaded {facts}: " + ", ".join(f"{v} {k}" for k, v in result.items() if isinstance(v, int)))
        return
    if result["status"] == "already imported":
        console.print(
            f"already imported: this Matrix file is in the registry ({result['rows_read']:,} rows; nothing added)"
        )
        return
    console.print(
        f"{result['status']}: {result['rows_read']:,} Matrix rows → {result['outlets']:,} outlets, "
        f"{result['assets']:,} assets, {result['facts']:,} facts; {result['skipped_count']:,} links/rows "
        "skipped (see --json)"
    )
    console.print("State Media Matrix © ASD-at-GMF (MIT); typology: MJRC State Media Monitor")


def import_affiliations(
    file: Annotated[Path, typer.Argument(help="CSV: platform,handle,name,entity,parent_entity,source[,...].")],
    workspace: WorkspaceOpt,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date for rows without an as_of column (YYYY-MM-DD; default today).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop at the first bad row instead of quarantining.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Resolve and report; write nothing.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Link every account of an affiliation list to its owning outlet or government entity, with provenance.

    Example: flockwatch media import-affiliations lists/prc_accounts.csv --workspace cases/hk2019

    Owning entities are resolved to registered outlets (names, aliases, translations, abbreviations); new
    sub-outlets, government entities and outlets of party/state bodies are registered; unresolved entities and bad
    rows are reported with their lines, never dropped. Touched outlets are decided under every shipped policy.
    """
    affiliations = read_affiliations(file, as_of=as_of, strict=strict)
    with registry_at(workspace, create=not dry_run) as reg:
        plan = plan_import(reg, affiliations)
        if dry_run:
            result: dict = {
                "status": "dry run",
                "file": plan.file,
                "by_status": plan.by_status(),
                "unresolved": plan.unresolved_entities(),
                "quarantined": plan.quarantined,
                "accounts": [a.to_dict() for a in plan.accounts],
            }
        else:
            result = {"status": "imported", **apply_import(reg, plan).to_dict()}
    if json_:
        print_json(result)
        return
    by = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in result["by_status"].items())
    console.print(f"{result['status']}: {file.name}: {len(plan.accounts):,} accounts ({by})", highlight=False)
    if not dry_run:
        console.print(
            f"linked {result['linked']:,} accounts ({result['already_linked']:,} already linked); "
            f"{len(result['new_outlets']):,} new outlets or government entities; "
            f"{result['closed_spans']:,} earlier owners of reused handles not linked",
            highlight=False,
        )
        for c in result["conflicts"][:10]:
            console.print(f"conflict line {c['line']}: {c['account']}: {c['note']}", highlight=False)
    for u in result["unresolved"][:20]:
        lines = ", ".join(str(x) for x in u["lines"][:8])
        console.print(f"[yellow]unresolved[/] {u['entity']!r} (lines {lines}): {u['why'][0]}", highlight=False)
    if len(result["unresolved"]) > 20:
        console.print(f"… {len(result['unresolved']) - 20} more unresolved entities (see --json)")
    for q in result["quarantined"][:20]:
        console.print(f"[red]quarantined[/] {q['source_file']} line {q['line']}: {q['reason']}", highlight=False)


def link_profiles(
    workspace: WorkspaceOpt,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Also write the proposals as a review file (CSV).")
    ] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="Only accounts of this platform.")] = None,
    min_confidence: Annotated[
        float, typer.Option("--min-confidence", min=0.0, max=1.0, help="Propose links at least this confident.")
    ] = MIN_CONFIDENCE,
    json_: JsonOpt = False,
) -> None:
    """Propose links from the workspace's accounts to registered outlets, from their own profiles, for review.

    Example: flockwatch media link-profiles --workspace cases/hk2019

    Evidence: display name, bio (affiliation words near an outlet's handle or name, links), profile URL domain,
    handle patterns; each with its confidence. Proposals are stored for review (`flockwatch media links`, then
    `flockwatch media review-link ID --accept|--reject --by NAME --note ...`, audited); with --out they are also
    written as a review file whose accepted rows `flockwatch media import-affiliations` links.
    """
    with open_workspace(workspace) as ws, Registry.open(ws) as reg:
        ensure_shipped_registry(reg)
        found, by_handle = propose_for_workspace(ws, reg, platform, min_confidence)
        stored, already = store_proposals(reg, found, {h: (p.display_name, p.account_id) for h, p in by_handle.items()})
        rows = review_rows(found, reg, by_handle, today()) if out is not None else []
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(REVIEW_COLUMNS))
            w.writeheader()
            w.writerows(rows)
    if json_:
        print_json(
            {
                "stored": stored,
                "already_proposed": already,
                "out": str(out) if out else None,
                "proposals": [p.to_dict() for p in found],
            }
        )
        return
    console.print(
        f"{len(found):,} proposed links ({stored:,} new, {already:,} proposed before)"
        + (f"; review file {out}" if out else "")
        + "; see `flockwatch media links`",
        highlight=False,
    )


def links(
    workspace: WorkspaceOpt,
    status: Annotated[str | None, typer.Option("--status", help="proposed, accepted or rejected.")] = "proposed",
    json_: JsonOpt = False,
) -> None:
    """Proposed links from profile evidence, with their evidence and review state.

    Example: flockwatch media links --status proposed --workspace cases/hk2019
    """
    with registry_at(workspace) as reg:
        rows = [p.to_dict() for p in stored_proposals(reg, status or None)]
    if json_:
        print_json(rows)
        return
    t = Table(title=f"{len(rows):,} {status or ''} links")
    for c in ("id", "account", "outlet", "role", "conf.", "evidence", "status"):
        t.add_column(c, overflow="fold")
    for p in rows:
        ev = "; ".join(f"{e['kind']} {e['confidence']:.2f}" for e in p["evidence"])
        t.add_row(
            str(p["proposal_id"]), p["account"], p["outlet"], p["role"], f"{p['confidence']:.2f}", ev, p["status"]
        )
    console.print(t)


def review_link(
    proposal_id: Annotated[int, typer.Argument(help="Proposed link id (see `flockwatch media links`).")],
    workspace: WorkspaceOpt,
    note: Annotated[str, typer.Option("--note", help="Why (recorded in the audit chain).")],
    accept: Annotated[bool, typer.Option("--accept/--reject", help="Accept (link the account) or reject.")],
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Accept or reject a proposed link (audited); an accept links the account and re-decides its outlet.

    Example: flockwatch media review-link 3 --accept --note "profile links cgtn.com" --by alice --workspace cases/hk2019
    """
    with open_workspace(workspace) as ws, Registry.open(ws) as reg:
        ensure_shipped_registry(reg)
        actor = actor_for(ws.ops(), by, password_file)
        result = review_proposal(
            reg, proposal_id, "accept" if accept else "reject", reviewer=actor.name, note=note, os_user=actor.os_user
        )
    if json_:
        print_json(result)
        return
    p = result["proposal"]
    console.print(f"{p['status']}: {p['account']} → {p['outlet']} ({p['role']}) by {p['reviewer']}", highlight=False)


def list_(
    workspace: WorkspaceOpt,
    country: Annotated[str | None, typer.Option(help="ISO code or country name.")] = None,
    kind: Annotated[str | None, typer.Option(help="media or government.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List registered outlets.

    Example: flockwatch media list --country CN --workspace cases/hk2019
    """
    with registry_at(workspace) as reg:
        rows = [o.to_dict() for o in reg.outlets(country=country, kind=kind)]
    if json_:
        print_json(rows)
        return
    t = Table(title=f"{len(rows):,} outlets")
    for c in ("id", "name", "country", "kind", "origin"):
        t.add_column(c)
    for o in rows:
        t.add_row(str(o["outlet_id"]), o["name"], o["country_code"], o["kind"], o["origin"])
    console.print(t)


def show(
    outlet: Annotated[str, typer.Argument(help="Outlet id, name or alias.")],
    workspace: WorkspaceOpt,
    country: Annotated[str | None, typer.Option(help="Narrow an ambiguous name.")] = None,
    all_facts: Annotated[bool, typer.Option("--all-facts", help="Include superseded facts.")] = False,
    json_: JsonOpt = False,
) -> None:
    """An outlet with its assets, facts (with sources), determinations (history) and appeals.

    Example: flockwatch media show Xinhua --workspace cases/hk2019
    """
    with registry_at(workspace) as reg:
        o = reg.outlet(outlet, country)
        data = {
            "outlet": o.to_dict(),
            "parents": [a.name for a in reg.ancestors(o)],
            "assets": [a.to_dict() for a in reg.assets(o.outlet_id)],
            "facts": [f.to_dict() for f in reg.facts(o, current_only=not all_facts)],
            "determinations": [d.to_dict() for d in history(reg, o.outlet_id)],
            "offboarding": offboarding_notices(reg, o.outlet_id),
            "appeals": [a.to_dict() for a in appeals(reg, o.outlet_id)],
        }
    if json_:
        print_json(data)
        return
    od = data["outlet"]
    console.print(
        f"[bold]{od['name']}[/] ({od['country']}, {od['kind']}, id {od['outlet_id']})"
        + (f" — part of {' → '.join(data['parents'])}" if data["parents"] else ""),
        highlight=False,
    )
    if od["owner_chain"]:
        console.print("owner chain: " + " → ".join(od["owner_chain"]), highlight=False)
    if data["assets"]:
        console.print(
            "assets: "
            + ", ".join(
                f"{a['platform'] + ':' if a['platform'] else ''}{a['display']}"
                + (f" ({a['role']})" if a["role"] != "outlet" else "")
                for a in data["assets"]
            ),
            highlight=False,
        )
    t = Table(title="facts")
    for c in ("id", "kind", "value", "source", "date", "conf."):
        t.add_column(c, overflow="fold")
    for f in data["facts"]:
        t.add_row(
            str(f["fact_id"]) + (" (sup.)" if f["superseded_by"] else ""),
            f["kind"],
            json.dumps(f["value"], ensure_ascii=False),
            f["source"] + (f" [inherited from {f['inherited_from']}]" if f["inherited_from"] else ""),
            f["source_date"],
            f"{f['confidence']:.2f}",
        )
    console.print(t)
    _print_determinations(data["determinations"])
    for n in data["offboarding"]:
        console.print(f"offboarding notice ({n['policy_id']}, {n['notice_on']}): {n['notice_text']}", highlight=False)
    for a in data["appeals"]:
        console.print(
            f"appeal {a['appeal_id']} against determination {a['determination_id']}: {a['status']}"
            + (f" → determination {a['new_determination_id']}" if a["new_determination_id"] else ""),
            highlight=False,
        )


def _print_determinations(dets: list[dict]) -> None:
    t = Table(title="determinations (history)")
    for c in ("id", "policy", "outcome", "reasons (fact ids)", "effective", "by", "supersedes"):
        t.add_column(c, overflow="fold")
    for d in dets:
        t.add_row(
            str(d["determination_id"]),
            f"{d['policy_id']}@v{d['policy_version']}",
            d["outcome"],
            "; ".join(f"{r['code']} {r['fact_ids']}" for r in d["reasons"]),
            d["effective_on"],
            d["decided_by"],
            str(d["supersedes"] or ""),
        )
    console.print(t)


def decide_(
    workspace: WorkspaceOpt,
    policy: PolicyOpt = "twitter-2019-08-ads",
    outlet: Annotated[list[str] | None, typer.Option("--outlet", "-o", help="Outlet id/name (repeatable).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Effective date YYYY-MM-DD (default today).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Apply a policy version to outlets; store new determinations where facts or results changed.

    Example: flockwatch media decide --policy twitter-2019-08-ads --workspace cases/hk2019
    """
    with registry_at(workspace) as reg:
        summary = decide(reg, policy, outlets=outlet or None, as_of=as_of)
    if json_:
        print_json(summary.to_dict())
        return
    console.print(
        f"{summary.policy} effective {summary.effective_on}: {len(summary.created):,} new "
        f"determinations, {summary.unchanged:,} unchanged"
    )
    for k, v in summary.by_outcome().items():
        console.print(f"  {k}: {v:,}")


def history_(
    outlet: Annotated[str, typer.Argument(help="Outlet id, name or alias.")],
    workspace: WorkspaceOpt,
    policy: Annotated[str | None, typer.Option("--policy", "-p", help="Only this policy.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Every determination of an outlet, oldest first (old ones are kept, never edited).

    Example: flockwatch media history RT --policy twitter-2019-08-ads --workspace cases/hk2019
    """
    with registry_at(workspace) as reg:
        dets = [d.to_dict() for d in history(reg, outlet, get_policy(policy) if policy else None)]
    if json_:
        print_json(dets)
        return
    _print_determinations(dets)


def appeal_file(
    determination_id: Annotated[int, typer.Argument(help="The determination contested.")],
    workspace: WorkspaceOpt,
    grounds: Annotated[str, typer.Option("--grounds", help="Why the outlet contests it.")],
    evidence: Annotated[Path | None, typer.Option("--evidence", help="JSON list of facts (new evidence).")] = None,
    filed_by: Annotated[str, typer.Option("--filed-by")] = "outlet",
    json_: JsonOpt = False,
) -> None:
    """File an appeal with new evidence (facts with source, date and confidence).

    Example: flockwatch media appeal file 12 --grounds "editorially independent since 2021" --evidence ev.json -w ws
    """
    ev = _read_json(evidence) if evidence else []
    if not isinstance(ev, list):
        raise ValidationError("--evidence must hold a JSON list of facts")
    with registry_at(workspace) as reg:
        ap = file_appeal(reg, determination_id, grounds, ev, filed_by=filed_by)
    if json_:
        print_json(ap.to_dict())
        return
    console.print(
        f"appeal {ap.appeal_id} filed against determination {ap.determination_id} "
        f"with {len(ap.evidence_fact_ids)} evidence fact(s)"
    )


def appeal_review(
    appeal_id: Annotated[int, typer.Argument(help="The appeal to decide.")],
    workspace: WorkspaceOpt,
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who reviewed it.")],
    note: Annotated[str, typer.Option("--note", help="The reviewer's reasons.")],
    uphold: Annotated[bool, typer.Option("--uphold/--reject", help="Uphold or reject the appeal.")] = False,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="Reviewer's outcome (default: re-run the policy).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Uphold (a new determination is made; the old one stays) or reject an appeal.

    Example: flockwatch media appeal review 3 --uphold --reviewer policy-team --note "charter verified" -w ws
    """
    with registry_at(workspace) as reg:
        ap, det = review_appeal(reg, appeal_id, "upheld" if uphold else "rejected", reviewer, note, outcome=outcome)
    if json_:
        print_json({"appeal": ap.to_dict(), "new_determination": det.to_dict() if det else None})
        return
    console.print(
        f"appeal {ap.appeal_id}: {ap.status}"
        + (f"; new determination {det.determination_id}: {det.outcome}" if det else "")
    )


def appeal_list(
    workspace: WorkspaceOpt,
    status: Annotated[str | None, typer.Option(help="filed, upheld or rejected.")] = None,
    json_: JsonOpt = False,
) -> None:
    """List appeals and their outcomes.

    Example: flockwatch media appeal list --status filed --workspace cases/hk2019
    """
    with registry_at(workspace) as reg:
        rows = [a.to_dict() for a in appeals(reg, status=status)]
    if json_:
        print_json(rows)
        return
    t = Table(title="appeals")
    for c in ("id", "determination", "outlet", "filed", "status", "reviewer", "new determination"):
        t.add_column(c)
    for a in rows:
        t.add_row(
            str(a["appeal_id"]),
            str(a["determination_id"]),
            str(a["outlet_id"]),
            a["filed_on"],
            a["status"],
            a["reviewer"] or "",
            str(a["new_determination_id"] or ""),
        )
    console.print(t)
