"""Disclosure verbs: ``disclose keygen`` (release keys, rotation), ``disclose archive`` (a public release: IO-format
archive with keyed pseudonyms, statement, indicators, DSA statements of reasons) and ``disclose check`` (the leak
search over a release directory)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from flockwatch.cli.acting import ByOpt, PasswordFileOpt, actor_for
from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json, progress_status
from flockwatch.errors import InputFileError, ValidationError
from flockwatch.review.audit import os_user
from flockwatch.store import Store

disclose_app = typer.Typer(
    help="Public disclosure: archives with keyed pseudonyms, statements, indicators, DSA statements of reasons.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(disclose_app, name="disclose")


def _publisher(store: Store, by: str | None, password_file: Path | None) -> tuple[str, str | None]:
    """(actor, OS user) for the audit entry. A team store needs an authenticated user; on the embedded
    single-analyst store a release without --by is recorded under the OS login (``os:NAME``)."""
    if by is None and password_file is None and not os.environ.get("FLOCKWATCH_TOKEN") and not store.is_team:
        who = os_user()
        return f"os:{who or 'unknown'}", who
    actor = actor_for(store, by, password_file)
    return actor.name, actor.os_user


@disclose_app.command("keygen")
def keygen(
    out: Annotated[Path, typer.Option("--out", "-o", help="Key file to write (owner-only permissions).")],
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Retire the key already at --out (kept as FILE.<key_id>.retired).")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Create a release key (one per release: a new key makes pseudonyms that cannot be joined across releases).

    Example: flockwatch disclose keygen --out keys/hk-2019-08.key
    """
    from flockwatch.disclose import generate_key, rotate_key

    retired = None
    if rotate:
        key, retired = rotate_key(out)
    else:
        key = generate_key(out)
    if json_:
        print_json({"key_file": str(out), "key_id": key.key_id, "retired": str(retired) if retired else None})
        return
    console.print(
        f"release key [bold]{key.key_id}[/] written to {out}" + (f" (old key kept as {retired})" if retired else "")
    )


@disclose_app.command("archive")
def archive(
    workspace: WorkspaceOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="New directory for the release.")],
    key_file: Annotated[Path, typer.Option("--key-file", help="Release key (see `disclose keygen`).")],
    case: Annotated[str | None, typer.Option("--case", help="Case id: its executed subjects are disclosed.")] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Disclose a candidate network or operation as a watermarked draft.")
    ] = False,
    network: Annotated[
        str | None, typer.Option("--network", help="With --draft: network id (N0001 or RUN/N0001).")
    ] = None,
    operation: Annotated[str | None, typer.Option("--operation", help="With --draft: candidate operation id.")] = None,
    set_name: Annotated[
        str | None, typer.Option("--set-name", help="Archive set name (default: the network, operation or case).")
    ] = None,
    release_n: Annotated[int, typer.Option("--release-n", help="Number of this release of the set.")] = 1,
    threshold_followers: Annotated[
        int, typer.Option("--threshold-followers", help="Accounts below this many followers are pseudonymised.")
    ] = 5_000,
    platform: Annotated[str | None, typer.Option("--platform", help="Platform of the accounts (when several).")] = None,
    pseudonymise_post_ids: Annotated[
        bool, typer.Option("--pseudonymise-post-ids", help="Replace post ids too (they stay linkable otherwise).")
    ] = False,
    statement: Annotated[bool, typer.Option("--statement/--no-statement", help="Write the statement.")] = True,
    pdf: Annotated[
        bool | None, typer.Option("--pdf/--no-pdf", help="Print the statement to PDF (default: when Chromium exists).")
    ] = None,
    attribution: Annotated[
        Path | None, typer.Option("--attribution", help="JSON assessment ({confidence, hypothesis, rationale}).")
    ] = None,
    no_attribution: Annotated[
        bool, typer.Option("--no-attribution", help="Do not assess attribution for the statement.")
    ] = False,
    policy: Annotated[list[str] | None, typer.Option("--policy", help="Policy violated (repeatable).")] = None,
    appeal_url: Annotated[
        str, typer.Option("--appeal-url", help="Where an account appeals (statements of reasons).")
    ] = "https://help.example.org/appeal",
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
    extra_indicators: Annotated[
        Path | None, typer.Option("--extra-indicators", help="CSV of extra indicators with a tlp column.")
    ] = None,
    drop_restricted_indicators: Annotated[
        bool, typer.Option("--drop-restricted-indicators", help="Drop, not refuse, indicators stricter than TLP:CLEAR.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Write a public release into a new directory: users/tweets CSVs in Twitter's IO-archive format (and a zip) with
    every account under the follower threshold pseudonymised by the release key, the statement (HTML, PDF),
    indicators (CSV, STIX 2.1 at TLP:CLEAR) and DSA statements of reasons; the release is refused if its own leak
    search finds a protected id or handle.

    Example: flockwatch disclose archive --case C20190819-a1b2c3 --by alice --workspace cases/hk2019 --key-file hk.key --out release
    """
    from flockwatch.disclose import ReleaseOptions, case_subjects, draft_subjects, load_key, publish
    from flockwatch.disclose.release import audit_release

    if (case is None) == (not draft):
        raise ValidationError("name a --case, or --draft with --network or --operation (not both)")
    if case is not None and (network or operation):
        raise ValidationError("--network and --operation belong to a --draft; a case already names its subjects")
    att = None
    if attribution is not None:
        try:
            att = json.loads(attribution.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputFileError(attribution, f"cannot read JSON: {exc}") from None
        if not isinstance(att, dict):
            raise InputFileError(attribution, "expected a JSON object")
    key = load_key(key_file)
    options = ReleaseOptions(
        set_name=set_name,
        release_n=release_n,
        threshold_followers=threshold_followers,
        platform=platform,
        pseudonymise_post_ids=pseudonymise_post_ids,
        statement=statement,
        pdf=pdf,
        attribution=att,
        compute_attribution=not no_attribution,
        policies=tuple(policy or ()),
        appeal_url=appeal_url,
        published_by=None,
        extra_indicators=extra_indicators,
        drop_restricted_indicators=drop_restricted_indicators,
    )
    with open_workspace(workspace, read_only=True) as ws:
        actor = None
        if case is not None or by is not None:
            # who publishes is audited with the key id; a draft without --by is not a publication and is not audited
            actor = _publisher(ws.ops(), by, password_file)
            options.published_by = actor[0]
        if case is not None:
            subjects = case_subjects(ws, case)
        else:
            subjects = draft_subjects(ws, network=network, operation=operation)
        with progress_status(f"disclosing {len(subjects.subjects):,} accounts") as update:
            release = publish(ws, subjects, key, out, options, progress=update)
        if actor is not None:
            audit_release(ws.ops(), release, subjects, *actor)
    m = release.manifest
    if json_:
        print_json(m)
        return
    a = m["archive"]
    console.print(
        f"{'[bold magenta]DRAFT[/] ' if release.draft else ''}release written to [bold]{out}[/] with key {release.key_id}: "
        f"{a['accounts']:,} accounts, {a['posts']:,} posts, {a['protected_accounts_pseudonymised']:,} protected accounts "
        f"pseudonymised; leak search clean ({m['leak_search']['values_searched']:,} identifiers)"
    )
    for name in m["files"]:
        console.print(f"  {name}")
    for note in m["notes"]:
        console.print(f"  note: {note}")


@disclose_app.command("check")
def check(
    directory: Annotated[Path, typer.Argument(help="Release directory to search.")],
    workspace: WorkspaceOpt,
    threshold_followers: Annotated[
        int, typer.Option("--threshold-followers", help="Search for every account below this many followers.")
    ] = 5_000,
    values: Annotated[
        Path | None, typer.Option("--values", help="Also search for these raw ids/handles (one per line).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Search a release directory (zips unpacked, PDF text extracted; case, NFKC, %- and HTML-escaped forms) for the
    raw id or handle of any account in the workspace under the follower threshold. Exit 4 when one is found.

    Example: flockwatch disclose check release --workspace cases/hk2019
    """
    from flockwatch.disclose import search_release
    from flockwatch.errors import RefusedError

    if not directory.is_dir():
        raise InputFileError(directory, "not a directory")
    wanted: set[str] = set()
    if values is not None:
        try:
            wanted.update(x.strip() for x in values.read_text(encoding="utf-8").splitlines() if x.strip())
        except OSError as exc:
            raise InputFileError(values, f"cannot read: {exc}") from None
    with open_workspace(workspace, read_only=True) as ws:
        for acc, handle in ws.engine.sql(
            "SELECT account_id, screen_name FROM accounts WHERE follower_count IS NULL OR follower_count < ?",
            [threshold_followers],
        ).rows():
            wanted.add(acc)
            if handle:
                wanted.add(handle)
    with progress_status(f"searching {directory} for {len(wanted):,} identifiers"):
        report = search_release(directory, wanted)
    if json_:
        print_json(report.to_dict())
    else:
        console.print(
            f"searched {len(report.files_searched)} files for {report.values_searched:,} identifiers: "
            + ("[green]clean[/]" if report.clean else f"[red]{len(report.leaks)} found[/]")
        )
        for leak in report.leaks[:20]:
            console.print(f"  {leak.file}: {leak.value!r} ({leak.form}) …{leak.excerpt}…", markup=False)
        for u in report.unreadable:
            console.print(f"  unreadable: {u}", markup=False)
    if not report.clean:
        raise RefusedError("PROTECTED_IDENTIFIER", f"{len(report.leaks)} protected identifier(s) found in {directory}")


@disclose_app.command("withdraw")
def withdraw_cmd(
    release: Annotated[Path, typer.Argument(help="The published release directory to correct.")],
    key_file: Annotated[Path, typer.Option("--key-file", help="The key that release was published with.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="New directory for the correction.")],
    accounts: Annotated[
        Path | None, typer.Option("--accounts", help="Raw ids of the reversed accounts, one per line.")
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", help="Withdraw the case's subjects that were reversed on appeal.")
    ] = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Workspace of the case.", envvar="FLOCKWATCH_WORKSPACE")
    ] = None,
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Withdraw accounts whose decision was reversed on appeal: the archive re-issued without them (next release
    number) and a correction notice naming their pseudonyms.

    Example: flockwatch disclose withdraw release --key-file keys/hk-2019-08.key --accounts reversed.txt --out correction
    """
    from flockwatch.disclose import load_key
    from flockwatch.disclose.correction import audit_correction, reversed_accounts, withdraw

    if (accounts is None) == (case is None):
        raise ValidationError("name the reversed accounts with --accounts FILE or --case CASE (one of them)")
    key = load_key(key_file)
    if accounts is not None:
        try:
            ids = [x.strip() for x in accounts.read_text(encoding="utf-8").splitlines() if x.strip()]
        except OSError as exc:
            raise InputFileError(accounts, f"cannot read: {exc}") from None
        corr = withdraw(release, key, ids, out)
    else:
        if workspace is None:
            raise ValidationError("--case needs --workspace")
        with open_workspace(workspace, read_only=True) as ws:
            actor = _publisher(ws.ops(), by, password_file)
            corr = withdraw(release, key, reversed_accounts(ws, str(case)), out)
            audit_correction(ws.ops(), corr, str(case), key.key_id, *actor)
    if json_:
        print_json({k: (str(v) if isinstance(v, Path) else v) for k, v in corr.__dict__.items()})
        return
    console.print(
        f"correction of {corr.corrects} written to [bold]{out}[/]: {len(corr.withdrawn)} account(s) withdrawn, "
        f"{corr.accounts_after:,} accounts and {corr.posts_after:,} posts remain"
        + (f"; {len(corr.not_found)} were not in the release" if corr.not_found else "")
    )
