"""The command line: parse, call a service, print. Exit 0 ok, 1 needs attention, 2 bad input."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from sqlalchemy.exc import SQLAlchemyError

from segdesk import __version__
from segdesk.domain.money import grouped
from segdesk.domain.problems import InputError
from segdesk.domain.progress import Cancelled, Progress
from segdesk.ingest.numbers import format_amount
from segdesk.store.engine import DatabaseError

EXIT_OK, EXIT_ATTENTION, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # usage errors: one line, exit 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"segdesk: error: {message}\n")


def _iso_date(text: str) -> dt.date:
    from segdesk.ingest.dates import CellDateError, parse_iso_date

    try:
        return parse_iso_date(text)
    except CellDateError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="segdesk", description="SegDesk: segregation reconciliation for fund administrators.")
    parser.add_argument("--version", action="version", version=f"segdesk {__version__}")
    db_help = "database file path or SQLAlchemy URL (default: $SEGDESK_DB, else your data folder)"
    parser.add_argument("--db", help=db_help)
    # --db is accepted after the command too (`segdesk reconcile --as-of D --db X`).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(group, name: str, summary: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        return group.add_parser(name, parents=[common], help=summary)

    init = command(commands, "init", "create or upgrade the database")
    init.add_argument("--entity", metavar="NAME", help="the fund or firm the audit packs are for (shown on every cover)")
    command(commands, "demo", "load and reconcile the demo fund (into an empty database)")

    chart = command(commands, "chart", "the chart workbook: sub-accounts, external accounts, mappings")
    chart_sub = chart.add_subparsers(dest="chart_command", metavar="ACTION", required=True, parser_class=_Parser)
    for name, helptext in (
        ("template", "write an empty chart workbook"),
        ("import", "load a chart workbook (all or nothing)"),
        ("export", "write the chart in force to a workbook"),
    ):
        p = command(chart_sub, name, helptext)
        p.add_argument("file", type=Path, metavar="FILE")
        if name == "import":
            p.add_argument("--user", help="who is acting (default: you)")

    imp = command(commands, "import", "import a statement file with an import profile")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--profile", type=Path, required=True, metavar="PROFILE.toml")
    imp.add_argument("--as-of", type=_iso_date, metavar="YYYY-MM-DD", help="statement date (overrides the profile)")
    imp.add_argument("--user", help="who is importing (default: you)")

    rec = command(commands, "reconcile", "reconcile an as-of date and list the findings")
    rec.add_argument("--as-of", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    rec.add_argument("--json", action="store_true", help="print one JSON object (amounts as exact strings)")
    rec.add_argument("--user", help="who is reconciling (default: you)")

    finding = command(commands, "finding", "acknowledge, resolve or waive a finding")
    finding.add_argument("action", choices=["acknowledge", "resolve", "waive"])
    finding.add_argument("id", type=int, metavar="ID")
    finding.add_argument("--comment", required=True, help="why (kept in the finding's history)")
    finding.add_argument("--user", help="who is acting (default: you)")

    sign = command(commands, "sign-off", "sign the as-of date's run as preparer, then reviewer")
    sign.add_argument("--as-of", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    sign.add_argument("--role", choices=["preparer", "reviewer"], required=True)
    sign.add_argument("--user", help="who is signing (default: you)")
    sign.add_argument("--comment", default="")

    keys = command(commands, "keys", "signing keys for audit packs")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True, parser_class=_Parser)
    create = command(keys_sub, "create", "make a passphrase-protected signing key and its CA certificate")
    create.add_argument("--out", type=Path, required=True, metavar="KEY.p12")
    create.add_argument("--name", required=True,
                        help='"person, organisation", e.g. "Jane Doe, Acme Fund Services" (split at the first comma)')

    export = command(commands, "export", "write the signed PDF audit pack (and an xlsx) for an as-of date")
    export.add_argument("--as-of", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    export.add_argument("--out", type=Path, required=True, metavar="PACK.pdf")
    export.add_argument("--key", type=Path, required=True, metavar="KEY.p12",
                        help="signing key; its passphrase is asked for, or read from $SEGDESK_KEY_PASSPHRASE")
    export.add_argument("--xlsx", type=Path, metavar="FINDINGS.xlsx", help="also write the figures as a workbook")
    export.add_argument("--entity", metavar="NAME", help="the fund or firm the pack is for (remembered)")
    export.add_argument("--replace", action="store_true", help="replace PACK.pdf (and the xlsx) if they exist")
    export.add_argument("--user", help="who is exporting (default: you)")

    verify = command(commands, "verify", "check a signed audit pack: intact, valid, wholly covered")
    verify.add_argument("pack", type=Path, metavar="PACK.pdf")
    verify.add_argument("--cert", type=Path, metavar="CA.crt",
                        help="trust only this certificate (the signer's CA or the signer's own), PEM or DER")

    audit = command(commands, "audit", "the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True, parser_class=_Parser)
    audit_verify = command(audit_sub, "verify", "recompute the hash chain and name the first broken event")
    audit_verify.add_argument("--against", type=Path, action="append", default=[], metavar="PACK.pdf",
                              help="also check the trail still holds the chain head this signed pack recorded "
                                   "(catches events removed from the end); may be given more than once")

    backup = command(commands, "backup", "write a checked copy of the SQLite database (integrity and audit chain)")
    backup.add_argument("--out", type=Path, metavar="FILE",
                        help="the backup file, or a folder for it (default: <db>-backup-YYYYMMDD-HHMMSS.sqlite3 "
                             "beside the database; for the default database, in the data folder's backups/)")
    backup.add_argument("--replace", action="store_true", help="overwrite FILE if it exists")
    restore = command(commands, "restore", "replace the SQLite database with a checked backup (keeps a safety copy)")
    restore.add_argument("file", type=Path, metavar="FILE")

    settings = command(commands, "settings", "the base currency and per-asset tolerances (no action: show them)")
    settings_sub = settings.add_subparsers(dest="settings_command", metavar="ACTION", parser_class=_Parser)
    base = command(settings_sub, "base-currency", "value everything in this currency from the next run on")
    base.add_argument("code", metavar="CODE", help="e.g. USD, EUR, GBP: the currency your prices are quoted in")
    base.add_argument("--user", help="who is acting (default: you)")
    tolerance = command(settings_sub, "tolerance", "how far custodian and ledger quantities of an asset may differ "
                                                   "before a balance_break (0 removes it)")
    tolerance.add_argument("asset", metavar="ASSET")
    tolerance.add_argument("amount", metavar="AMOUNT", help="in units of the asset, e.g. 0.0001")
    tolerance.add_argument("--user", help="who is acting (default: you)")

    database = command(commands, "db", "the database itself")
    database_sub = database.add_subparsers(dest="db_command", metavar="ACTION", required=True, parser_class=_Parser)
    copy = command(database_sub, "copy", "copy the whole database into a new SQLite file or an empty PostgreSQL "
                                         "database, and check the copy (rows, money sums, audit chain)")
    copy.add_argument("--to", required=True, metavar="URL",
                      help="a new SQLite file (path or sqlite:///PATH), or an existing, empty PostgreSQL database: "
                           "postgresql+psycopg://USER@HOST:PORT/DB")

    roles = command(commands, "roles", "who may import, keep the chart, prepare, review, export (team mode)")
    roles_sub = roles.add_subparsers(dest="roles_command", metavar="ACTION", required=True, parser_class=_Parser)
    command(roles_sub, "list", "the roles granted, to whom, by whom and when")
    for name, helptext in (("grant", "give a person a role (the first must be admin)"),
                           ("revoke", "take a role from a person")):
        p = command(roles_sub, name, helptext)
        p.add_argument("person", metavar="PERSON", help="the person: their database login in team mode")
        p.add_argument("role", metavar="ROLE", help="admin, importer, chart, preparer, reviewer or exporter")
        p.add_argument("--user", help="who is acting (default: you; on PostgreSQL, your login)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from segdesk.ingest.sheet_worker import FROZEN_WORKER_ARG

    if argv == [FROZEN_WORKER_ARG]:  # a packaged build re-launching itself to read a spreadsheet
        from segdesk.ingest.sheet_worker import run_sheet_worker

        run_sheet_worker()
        return EXIT_OK
    from segdesk.store.columns import FROZEN_WORKER_ARG as LINE_READER_ARG

    if argv == [LINE_READER_ARG]:  # ... or to read a day's statement lines as columns
        from segdesk.store.columns import run_line_reader

        run_line_reader()
        return EXIT_OK
    args = build_parser().parse_args(argv)
    if args.command is None:
        if sys.platform.startswith("linux") and not (
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
        ):
            # Qt would abort with a fatal error; say it plainly instead.
            print("segdesk: error: no display to open the desktop app on; use a command "
                  "(segdesk --help lists them)", file=sys.stderr)
            return EXIT_BAD_INPUT
        from segdesk.ui.app import run_app

        return run_app(args.db)
    handler = COMMANDS[args.command]
    try:
        code = handler(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the try, rather than at exit
        return code
    except InputError as exc:
        for line in exc.problems:
            print(f"segdesk: error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DatabaseError as exc:
        print(f"segdesk: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (SQLAlchemyError, sqlite3.Error) as exc:  # locked by another program, disk full, ...
        # (sqlite3's own errors arrive unwrapped from the bulk inserts, which use the driver's cursor.)
        from segdesk.store.engine import database_failure

        print(f"segdesk: error: {database_failure(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader of our output went away (`segdesk reconcile | head`): not an error of
        # anyone's. Quietly, and without a second complaint when Python flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # a file we were asked to write or read
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"segdesk: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Cancelled:
        print("segdesk: cancelled; nothing was stored", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\nsegdesk: interrupted; nothing was stored", file=sys.stderr)
        return 130


def _open(args: argparse.Namespace, *, create: bool = False):  # type: ignore[no-untyped-def]
    from segdesk.store.engine import open_database

    return open_database(args.db, create=create)


def cmd_init(args: argparse.Namespace) -> int:
    db = _open(args, create=True)
    print(f"Database ready: {db.describe()}")
    if args.entity is not None:
        from segdesk.services.exporting import set_entity_name

        print(f"Audit packs are for: {set_entity_name(db, args.entity)}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from segdesk.services.demo import load_demo

    db = _open(args, create=True)
    result = load_demo(db)
    if not result.loaded:
        print(f"The demo is not loaded again: {db.describe()} already holds imports "
              "(the demo loads only into an empty database)")
        return EXIT_OK
    for item in result.imports:
        print(f"Imported {item.file_name}: {item.rows} rows from {item.source}")
    if result.run is not None:
        print(f"Reconciled {result.run.as_of}: {len(result.run.findings)} findings (run {result.run.run_id})")
    print(f"Demo fund loaded into {db.describe()}")
    return EXIT_OK


def cmd_chart(args: argparse.Namespace) -> int:
    from segdesk.services import chart

    if args.file.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError(f"{args.file}: a chart workbook is an .xlsx file")
    if args.chart_command == "import" and not args.file.is_file():
        raise InputError(f"{args.file}: no such file")
    if args.chart_command in ("template", "export") and not args.file.parent.is_dir():
        raise InputError(f"{args.file}: its folder {args.file.parent} does not exist")
    if args.chart_command == "template":
        chart.write_template(args.file)
        print(f"Wrote an empty chart workbook to {args.file}")
        return EXIT_OK
    db = _open(args, create=args.chart_command == "import")
    if args.chart_command == "export":
        written = chart.export_chart(db, args.file)
        print(
            f"Wrote {len(written.sub_accounts)} sub-accounts, {len(written.accounts)} external accounts and "
            f"{len(written.mappings)} mappings to {args.file}"
        )
        return EXIT_OK
    result = chart.import_chart(db, args.file, user=args.user)
    print(
        f"Chart imported from {args.file.name}: sub-accounts {result.sub_accounts_created} new, "
        f"{result.sub_accounts_updated} changed; external accounts {result.accounts_created} new, "
        f"{result.accounts_updated} changed; mappings {result.mappings_added} added, {result.mappings_removed} removed"
    )
    return EXIT_OK


def terminal_progress(stream: TextIO) -> Callable[[int, int, str], None] | None:
    """A text progress bar, only when a person is watching the terminal."""
    if not stream.isatty():
        return None
    last = [-1]

    def draw(done: int, total: int, stage: str) -> None:
        pct = 100 if total <= 0 else min(100, done * 100 // total)
        if pct == last[0]:
            return
        last[0] = pct
        bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
        stream.write(f"\r[{bar}] {pct:3d}% {stage:<20}")
        if pct == 100:
            stream.write("\n")
        stream.flush()

    return draw


def cmd_import(args: argparse.Namespace) -> int:
    from segdesk.services.importing import import_statement

    db = _open(args, create=True)
    progress = Progress(terminal_progress(sys.stderr))
    result = import_statement(db, args.file, args.profile, as_of=args.as_of, user=args.user, progress=progress)
    dated = f" as of {result.as_of}" if result.as_of else ""
    superseded = f"; superseded {result.superseded} earlier statement(s)" if result.superseded else ""
    what = "price rows" if result.statements == 0 else "balance rows"  # a prices file makes no statement
    print(
        f"Imported {result.file_name}: {result.rows} {what} from {result.source}{dated} "
        f"(batch {result.batch_id}, SHA-256 {result.sha256[:12]}…){superseded}"
    )
    return EXIT_OK


def cmd_reconcile(args: argparse.Namespace) -> int:
    import json

    from segdesk.services.reconciling import reconcile, run_json

    db = _open(args)
    view = reconcile(db, args.as_of, user=args.user)
    if args.json:
        print(json.dumps(run_json(view), indent=2, ensure_ascii=False))
    else:
        print(summary_table(view))
    return EXIT_ATTENTION if view.open_critical else EXIT_OK


def summary_table(view) -> str:  # type: ignore[no-untyped-def]
    """The run as a person reads it in a terminal: the four figures, then the findings."""
    seg = view.results["segregation"]
    base = view.base_currency
    status = "approved" if view.approved else ("prepared" if "preparer" in view.sign_offs else "not signed")
    figures = _aligned([seg[k] for k in ("requirement", "resources", "excess", "undermargined")])
    out = [
        f"Reconciliation {view.as_of} (run {view.run_id}, {status})",
        "",
        f"  {'Requirement':<16}{figures[0]:>28} {base}",
        f"  {'Resources':<16}{figures[1]:>28} {base}   (buffer {grouped(seg['buffer'])})",
        f"  {'Excess':<16}{figures[2]:>28} {base}",
        f"  {'Undermargined':<16}{figures[3]:>28} {base}",
        "",
    ]
    currencies = view.results["by_currency"]
    if currencies:
        columns = ("quantity", "resources", "requirement", "excess", "buffer")
        cells = {c: _aligned([row[c] for row in currencies]) for c in columns}
        widths = {c: max(len(c) + 2, *(len(v) + 2 for v in cells[c])) for c in columns}
        out.append(f"  {'Held':<8}" + "".join(f"{(c.capitalize() if c != 'quantity' else 'Units'):>{widths[c]}}"
                                             for c in columns) + f"   ({base} except units)")
        for i, row in enumerate(currencies):
            out.append(f"  {row['asset']:<8}" + "".join(f"{cells[c][i]:>{widths[c]}}" for c in columns))
        out.append("")
    if not view.findings:
        out.append("No findings.")
        return "\n".join(out)
    sub_w = max(11, *(len(f.sub_account or "-") for f in view.findings)) + 2
    acc_w = max(16, *(len(f.external_account or "-") for f in view.findings)) + 2
    out.append(f"{'ID':>5}  {'Severity':<10}{'Kind':<29}{'Sub-account':<{sub_w}}{'External account':<{acc_w}}"
               f"{'Asset':<8}{'Amount (' + base + ')':>22}  Status")
    amounts = _aligned([format_amount(f.amount) for f in view.findings])
    for f, amount in zip(view.findings, amounts, strict=True):
        out.append(
            f"{f.id:>5}  {f.severity:<10}{f.kind:<29}{(f.sub_account or '-'):<{sub_w}}"
            f"{(f.external_account or '-'):<{acc_w}}{(f.asset or '-'):<8}"
            f"{amount:>22}  {f.status}"
        )
        out.append(f"{'':7}{f.message}")
    open_critical = len(view.open_critical)
    out += ["", f"{len(view.findings)} finding(s); {open_critical} critical still open." if open_critical
            else f"{len(view.findings)} finding(s); none critical open."]
    return "\n".join(out)


def _aligned(amounts: list[str]) -> list[str]:
    """Exact amounts padded so their decimal points line up when right-aligned (no rounding)."""
    shown = [grouped(a) for a in amounts]
    places = max((len(t.rstrip(")").partition(".")[2]) for t in shown), default=0)
    out = []
    for text in shown:
        closing = ")" if text.endswith(")") else " "
        body = text.rstrip(")")
        fraction = body.partition(".")[2]
        pad = places - len(fraction) + (1 if places and not fraction else 0)
        out.append(body + closing + " " * pad)
    return out


def cmd_finding(args: argparse.Namespace) -> int:
    from segdesk.services.findings import act_on_finding

    db = _open(args)
    status = act_on_finding(db, args.id, args.action, args.comment, user=args.user)
    print(f"Finding {args.id} is now {status}")
    return EXIT_OK


def cmd_sign_off(args: argparse.Namespace) -> int:
    from segdesk.services.findings import sign_off

    db = _open(args)
    signed = sign_off(db, args.as_of, args.role, user=args.user, comment=args.comment)
    print(f"Signed {args.as_of} as {signed.role}: {signed.user} at {signed.at:%Y-%m-%d %H:%M} UTC")
    from segdesk.services.reconciling import current_run

    run = current_run(db, args.as_of)
    if run is not None and run.open_critical:
        # Allowed (the sign-off attests the findings are recorded), but nobody should miss it.
        print(f"Note: {len(run.open_critical)} critical finding(s) of this run are not resolved or waived.")
    return EXIT_OK


PASSPHRASE_VARIABLE = "SEGDESK_KEY_PASSPHRASE"


def _passphrase(prompt: str, *, confirm: bool = False) -> str:
    """From $SEGDESK_KEY_PASSPHRASE, else asked on the terminal; never from a flag."""
    if PASSPHRASE_VARIABLE in os.environ:
        return os.environ[PASSPHRASE_VARIABLE]
    if not sys.stdin.isatty():
        raise InputError(f"a passphrase is needed: run in a terminal to be asked, or set {PASSPHRASE_VARIABLE}")
    import getpass

    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise InputError("the two passphrases differ; nothing was written")
    return first


def cmd_keys(args: argparse.Namespace) -> int:
    from segdesk.services.exporting import create_signing_key

    passphrase = _passphrase(f"Passphrase for the new key {args.out.name}: ", confirm=True)
    made = create_signing_key(args.out, args.name, passphrase)
    who = made.signer + (f", {made.organisation}" if made.organisation else "")
    print(f"Wrote the signing key for {who} to {made.p12} (valid until {made.not_after:%Y-%m-%d})")
    print(f"Wrote its CA certificate to {made.ca_certificate}: give it to your auditors, who tell their "
          "verifier to trust it (segdesk verify --cert, pdfsig, Adobe Reader)")
    print(f"Signing certificate SHA-256: {made.fingerprint}")
    print(f"CA certificate SHA-256:      {made.ca_fingerprint}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from segdesk.services.exporting import export_pack, open_signing_key

    db = _open(args)
    key = open_signing_key(args.key, _passphrase(f"Passphrase for {args.key.name}: "))
    progress = Progress(terminal_progress(sys.stderr))
    result = export_pack(db, args.as_of, args.out, key, xlsx=args.xlsx, entity=args.entity, user=args.user,
                         progress=progress, replace=args.replace)
    state = "DRAFT (not yet reviewed)" if result.draft else "approved"
    print(f"Wrote the signed audit pack for {result.as_of} (run {result.run_id}, {state}) to {result.pdf}")
    print(f"  Verdict: {result.verdict}; {result.findings} finding(s); {result.sources} source file(s) attached")
    print(f"  Signed by {result.signer}; SHA-256 {result.sha256}")
    if result.xlsx is not None:
        print(f"Wrote the figures to {result.xlsx}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from segdesk.services.exporting import verify_pack

    check = verify_pack(args.pack, cert=args.cert)
    v = check.verification
    if not check.ok:
        print(f"{args.pack}: NOT VERIFIED", file=sys.stderr)
        for problem in check.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_ATTENTION
    facts = check.facts or {}
    signer = v.signer + (f", {v.organisation}" if v.organisation else "")
    print(f"{args.pack}: VERIFIED")
    print("  Signature:    intact and valid; a certification allowing no change; covers the whole file")
    print(f"  Signed by:    {signer}")
    print(f"  Signed at:    {v.signed_at:%Y-%m-%d %H:%M:%S %Z}" if v.signed_at else "  Signed at:    (not stated)")
    if v.trusted:
        print(f"  Certificate:  issued by or equal to {args.cert.name} (trusted)")
    else:
        print("  Certificate:  not checked against a trusted one; compare this fingerprint with the one the "
              "signer gave you, or pass --cert CA.crt")
    print(f"  Fingerprint:  {v.fingerprint}")
    print(f"  Entity:       {facts.get('entity')}")
    draft = " — DRAFT, not yet reviewed" if facts.get("draft") else ""
    print(f"  As of:        {facts.get('as_of')} (run {facts.get('run_id')}){draft}")
    verdict = facts.get("verdict") or {}
    print(f"  Verdict:      {verdict.get('title')}: {verdict.get('detail')}")
    head = facts.get("audit_chain_head") or {}
    print(f"  Chain head:   #{head.get('seq')} {head.get('hash')}")
    print(f"  Attachments:  {len(facts.get('sources', []))} source file(s), each matching its SHA-256")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from segdesk.services.audit_trail import check_against_packs, guard_problem, verify_audit_trail

    db = _open(args)
    report = verify_audit_trail(db)
    problems = [] if report.intact else [
        f"audit trail BROKEN at event #{report.broken_seq}: {report.reason} ({report.events} events checked)"]
    guard = guard_problem(report)
    if guard is not None:
        problems.append(guard)
    problems += check_against_packs(db, report, args.against) if report.intact else []
    if not problems:
        witnesses = f"; it holds the chain head of {len(args.against)} signed pack(s)" if args.against else ""
        print(f"Audit trail intact: {report.events} events, chain head {report.head}{witnesses}")
        return EXIT_OK
    for line in problems:
        print(f"segdesk: {line}", file=sys.stderr)
    return EXIT_ATTENTION


def cmd_backup(args: argparse.Namespace) -> int:
    from segdesk.services.backup import DamagedDatabase, back_up

    try:
        made = back_up(args.db, args.out, replace=args.replace)
    except DamagedDatabase as exc:
        for line in exc.problems:
            print(f"segdesk: {line}", file=sys.stderr)
        return EXIT_ATTENTION
    print(f"Backed up {made.database} to {made.path} ({made.size / 1_000_000:.1f} MB)")
    print(f"  Checked: integrity ok; audit trail intact, {made.events} events, chain head {made.chain_head}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from segdesk.services.backup import restore

    done = restore(args.db, args.file)
    if done.safety_copy is not None:
        print(f"Kept the database as it was in {done.safety_copy}")
        for problem in done.safety_problems:
            print(f"  Note: the database as it was: {problem}")
    if done.upgraded_from:
        print(f"Upgraded the backup's schema from revision {done.upgraded_from} to this version's")
    print(f"Restored {done.database} from {done.backup}")
    print(f"  Checked: integrity ok; audit trail intact, {done.events} events (the restore recorded as the last), "
          f"chain head {done.chain_head}")
    return EXIT_OK


def cmd_db(args: argparse.Namespace) -> int:
    from segdesk.services.db_copy import copy_database

    source = _open(args)
    report = copy_database(source, args.to, progress=Progress(terminal_progress(sys.stderr)))
    width = max(len(t.table) for t in report.tables)
    for copied in report.tables:
        print(f"{copied.table:<{width}}  {copied.rows:>9} rows")
    print(f"verified: row counts, money sums, audit chain head #{report.chain_events} {report.chain_head}")
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    from segdesk.services.settings import firm_settings, set_base_currency, set_tolerance

    db = _open(args)
    if args.settings_command == "base-currency":
        code = set_base_currency(db, args.code, user=args.user)
        print(f"Base currency: {code} (the next reconcile of a day values it in {code})")
        return EXIT_OK
    if args.settings_command == "tolerance":
        amount = set_tolerance(db, args.asset, args.amount, user=args.user)
        print(f"Tolerance for {args.asset.strip()}: {format_amount(amount)}" if amount else
              f"No tolerance for {args.asset.strip()}: any difference from the ledger is a balance_break")
        return EXIT_OK
    current = firm_settings(db)
    print(f"Entity:        {current.entity or '(not set: segdesk init --entity NAME)'}")
    print(f"Base currency: {current.base_currency}")
    if current.tolerances:
        print("Tolerances (custodian vs ledger quantity, in units of the asset):")
        for asset, amount in current.tolerances.items():
            print(f"  {asset:<12} {format_amount(amount)}")
    else:
        print("Tolerances:    none (any difference from the ledger is a balance_break)")
    return EXIT_OK


def cmd_roles(args: argparse.Namespace) -> int:
    from segdesk.services.people import grant_role, list_roles, revoke_role

    db = _open(args)
    if args.roles_command == "list":
        held = list_roles(db)
        if not held:
            print("No roles granted: anyone who opens this database may do everything (one person's desk).")
            return EXIT_OK
        width = max(len(r.person) for r in held)
        for r in held:
            print(f"{r.person:<{width}}  {r.role:<9}  granted by {r.granted_by} at {r.granted_at:%Y-%m-%d %H:%M} UTC")
        return EXIT_OK
    if args.roles_command == "grant":
        granted = grant_role(db, args.person, args.role, user=args.user)
        print(f"{granted.person} now has the {granted.role} role (granted by {granted.granted_by})")
    else:
        revoke_role(db, args.person, args.role, user=args.user)
        print(f"{args.person.strip()} no longer has the {args.role.strip().lower()} role")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init,
    "demo": cmd_demo,
    "chart": cmd_chart,
    "import": cmd_import,
    "reconcile": cmd_reconcile,
    "finding": cmd_finding,
    "sign-off": cmd_sign_off,
    "keys": cmd_keys,
    "export": cmd_export,
    "verify": cmd_verify,
    "audit": cmd_audit,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "settings": cmd_settings,
    "db": cmd_db,
    "roles": cmd_roles,
}


if __name__ == "__main__":
    raise SystemExit(main())
