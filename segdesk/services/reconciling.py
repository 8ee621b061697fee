"""Reconciling an as-of date: load what was imported, run the checks, keep the run and its findings.

A run is immutable once stored: its figures are kept as exact strings and its findings as rows.
Re-running with the same inputs and chart returns the same run; anything changed makes a new run
that carries over the status and history of findings that are still there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import groupby
from operator import itemgetter

import orjson

from segdesk.domain import model as m
from segdesk.domain.checks import VenueMargin
from segdesk.domain.columnar import Figures
from segdesk.domain.money import plain
from segdesk.domain.problems import InputError
from segdesk.domain.reconcile import Preparation, Reconciliation, SubAccountFigures, prepare
from segdesk.domain.reconcile import reconcile as run_checks
from segdesk.ingest.numbers import format_amount
from segdesk.services.bulk_work import without_cycle_collection
from segdesk.services.identity import acting_person, require
from segdesk.services.overview import as_utc
from segdesk.store import repositories as repo
from segdesk.store.audit import append_event
from segdesk.store.columns import ColumnsUnavailable, LineRead, columns_wanted
from segdesk.store.engine import Database
from segdesk.store.schema import Finding, FindingEvent, ImportBatch, Run

BASE_CURRENCY_SETTING = "base_currency"
# From how many statement lines in the database (live or not) a day's lines are read as columns by
# a worker process: below it, reading the rows here costs less than starting the worker. Measured
# on the benchmark fund (benchmarks/README.md): 100k lines 1.17 s on columns, 0.97 s as rows;
# 300k lines 1.87 s and 3.04 s.
COLUMNS_FROM_LINES = 150_000
DEFAULT_BASE_CURRENCY = "USD"


@dataclass(frozen=True)
class Step:
    from_status: str | None
    to_status: str
    user: str
    at: dt.datetime
    comment: str


@dataclass(frozen=True)
class FindingView:
    id: int
    kind: str
    severity: str
    as_of: dt.date
    sub_account: str | None
    external_account: str | None
    asset: str | None
    amount: Decimal
    message: str
    status: str
    evidence: Sequence[m.Evidence]  # a tuple, or m.EvidenceRows (made as it is read)
    history: tuple[Step, ...]
    version: int = 1  # pass it back when acting, so a change someone made since is not overwritten

    @property
    def unresolved(self) -> bool:
        return self.status in ("open", "acknowledged")


@dataclass(frozen=True)
class InputFile:
    batch_id: int
    file_name: str
    sheet: str | None
    sha256: str
    rows: int
    source: str
    imported_by: str
    imported_at: dt.datetime


@dataclass(frozen=True)
class SignOffView:
    role: str
    user: str
    at: dt.datetime
    comment: str


@dataclass(frozen=True)
class RunView:
    run_id: int
    as_of: dt.date
    base_currency: str
    created_by: str
    created_at: dt.datetime
    fingerprint: str
    results: dict  # the stored figures, amounts as exact strings (see _results)
    findings: tuple[FindingView, ...]
    inputs: tuple[InputFile, ...]
    sign_offs: dict[str, SignOffView]
    reused: bool = False  # True when the inputs had not changed since this run

    @property
    def approved(self) -> bool:
        return "reviewer" in self.sign_offs

    @property
    def open_critical(self) -> list[FindingView]:
        return [f for f in self.findings if f.severity == m.CRITICAL and f.unresolved]


# --- loading the inputs --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Basis:
    """Everything a run depends on except the lines themselves, and its fingerprint: cheap to
    read, so an unchanged day is recognised without loading a million lines."""

    base_currency: str
    sub_accounts: tuple[m.SubAccount, ...]
    mappings: tuple[m.MappingRule, ...]
    tolerances: dict[str, Decimal]
    batches: list  # type: ignore[type-arg]
    fingerprint: str


def _basis(session, as_of: dt.date) -> _Basis:  # type: ignore[no-untyped-def]
    base = repo.get_setting(session, BASE_CURRENCY_SETTING, DEFAULT_BASE_CURRENCY)
    # The rows have exactly the fields of each: made without namedtuple's per-row length check.
    subs = tuple(map(partial(tuple.__new__, m.SubAccount), repo.sub_account_rows(session)))
    rules = tuple(map(partial(tuple.__new__, m.MappingRule), repo.mapping_rows(session)))
    tolerances = {t.asset: t.tolerance for t in repo.tolerances(session)}
    batch_ids = repo.live_batch_ids_until(session, as_of) | {b.id for b in repo.price_batches_until(session, as_of)}
    batches = repo.batches_by_id(session, batch_ids)
    designations = [(source, account, designation or "") for source, account, designation in repo.designation_rows(session)]
    canonical = json.dumps(
        {
            "as_of": as_of.isoformat(),
            "base": base,
            "batches": [[b.sha256, b.sheet, b.id] for b in batches],
            # Tuples write as the same JSON arrays as lists, and sort the same; made a column at a
            # time, since a fund can have a hundred thousand sub-accounts and twice as many mappings.
            "subs": sorted(zip(map(itemgetter(0), subs), map(itemgetter(2), subs))),
            "designations": designations,
            "mappings": sorted(zip(
                map(itemgetter(0), rules), map(itemgetter(1), rules), (r or "" for r in map(itemgetter(2), rules)),
                map(itemgetter(3), rules), map(str, map(itemgetter(4), rules)), map(str, map(itemgetter(5), rules)),
            )),
            "tolerances": sorted([a, format_amount(t)] for a, t in tolerances.items()),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return _Basis(base, subs, rules, tolerances, batches, hashlib.sha256(canonical.encode()).hexdigest())


def _start_reading_lines(db: Database, session, as_of: dt.date) -> LineRead | None:  # type: ignore[no-untyped-def]
    """On a SQLite file, the day's lines read as columns in the background from now on, while the
    chart is read and the fingerprint worked out. The session's write transaction begins first
    (BEGIN IMMEDIATE): from then on no other program can change the file, so the background read
    sees what this transaction sees."""
    wanted = columns_wanted()
    if db.sqlite_path is None or wanted == "off":
        return None
    session.connection()  # begins the transaction, and takes the write lock
    stored = repo.statement_line_count(session)
    if wanted == "auto" and stored < COLUMNS_FROM_LINES:
        return None  # a small fund: the rows are read sooner than a worker process starts
    return LineRead(db.sqlite_path, as_of, stored)


def _load(db: Database, session, as_of: dt.date, basis: _Basis,  # type: ignore[no-untyped-def]
          reading: LineRead | None = None) -> tuple[m.ReconciliationInputs, Preparation]:
    """The statements and prices of ``as_of`` as plain domain values, what the reconciliation
    works out before it reads a line (worked out while ``reading`` still reads them), and the
    lines: from ``reading`` as Arrow columns (summed on columns: see domain/columnar.py), or,
    elsewhere or if that read fails, as the plain rows the database returns (a million objects per
    million lines would cost more than the checks)."""
    statements = tuple(
        m.Statement(source, kind, account, designation, day, {statement_id: file_name}, lines)
        for statement_id, source, kind, account, designation, day, file_name, lines
        in repo.live_statement_heads(session, as_of)
        if lines  # a statement without lines reports nothing
    )
    prices = tuple(m.PricePoint(p.asset, p.as_of, p.price) for p in repo.live_prices_until(session, as_of))
    inputs = m.ReconciliationInputs(as_of, basis.base_currency, basis.sub_accounts, statements, basis.mappings,
                                    prices, basis.tolerances)
    prepared = prepare(inputs)
    lines = None
    if reading is not None:
        try:
            lines = reading.table()
            counted = sum(s.lines for s in statements)
            if lines.num_rows != counted:
                raise ColumnsUnavailable(f"read {lines.num_rows} lines as columns, counted {counted}")
        except ColumnsUnavailable:
            if columns_wanted() == "require":
                raise
            lines = None
    if lines is None:
        lines = repo.live_line_rows(session, as_of)
    return dataclasses.replace(inputs, lines=lines), prepared


# --- running -------------------------------------------------------------------------------------


def reconcile(db: Database, as_of: dt.date, *, user: str | None = None) -> RunView:
    """The run for ``as_of``: the latest one if nothing it depends on changed, else a new one."""
    user = acting_person(db, user)
    reading: LineRead | None = None
    with db.transaction() as session, without_cycle_collection():
        try:
            latest = repo.latest_run(session, as_of)
            # A day with no run yet will have a new one: its lines are read while the basis is.
            # (Else the basis may show the day unchanged, and the lines are not needed at all.)
            reading = _start_reading_lines(db, session, as_of) if latest is None else None
            basis = _basis(session, as_of)
            if latest is not None and latest.fingerprint == basis.fingerprint:
                return _view(session, latest, reused=True)  # only read: anyone may look
            require(db, user, "reconcile")
            reading = reading or _start_reading_lines(db, session, as_of)
            inputs, prepared = _load(db, session, as_of, basis, reading)
        finally:
            if reading is not None:
                reading.close()  # a read whose answer is not wanted (a refusal, an error) stops
        batches, fingerprint = basis.batches, basis.fingerprint
        if not any(s.source_kind != "ledger" for s in inputs.statements):
            # An empty day would come out clean and could be signed off: refuse instead.
            raise InputError(
                f"no custodian or exchange statement is dated on or before {as_of}; import the day's "
                "statements first"
            )
        result = run_checks(inputs, prepared)
        run = Run(
            as_of=as_of,
            base_currency=inputs.base_currency,
            created_by=user,
            created_at=dt.datetime.now(dt.UTC),
            inputs=json.dumps([{"batch": b.id, "file": b.file_name, "sha256": b.sha256} for b in batches]),
            fingerprint=fingerprint,
            # orjson: the figures of 100,000 sub-accounts are tens of megabytes of JSON, written
            # eight times faster than by the json module (the same JSON, but for spaces).
            results=orjson.dumps(results := _results(result), option=orjson.OPT_SORT_KEYS).decode(),
        )
        session.add(run)
        session.flush()
        carried, findings = _carry_over(session, latest, result, run)
        append_event(
            session, actor=user, action="run.create", entity="run", entity_id=run.id,
            payload={
                "as_of": as_of.isoformat(),
                "fingerprint": fingerprint,
                "inputs": [b.sha256 for b in batches],
                "findings": len(result.findings),
                "carried_over": carried,
                "previous_run": latest.id if latest else None,
            },
        )
        return _view(session, run, findings=findings, results=results)


def _carry_over(session, previous: Run | None, result: Reconciliation,  # type: ignore[no-untyped-def]
                run: Run) -> tuple[int, list[FindingView]]:
    """Store the findings in one bulk insert; one still present since the previous run keeps its
    status and history. Returns how many were carried over, and the findings as stored (what was
    written is exactly what would be read back, so it is not read back)."""
    earlier: dict[tuple, Finding] = {}  # type: ignore[type-arg]
    if previous is not None:
        for f in repo.findings_of_run(session, previous.id):
            earlier[(f.kind, f.as_of.isoformat(), f.sub_account, f.external_account, f.asset)] = f
    ids = repo.insert_findings(session, [
        {
            "run_id": run.id, "kind": found.kind, "severity": found.severity, "as_of": found.as_of,
            "sub_account": found.sub_account, "external_account": found.external_account, "asset": found.asset,
            "amount": found.amount, "message": found.message,
            "status": earlier[found.key].status if found.key in earlier else "open",
            "evidence": _evidence_json(found.evidence),
        }
        for found in result.findings
    ])
    carried = [(new_id, earlier[found.key]) for new_id, found in zip(ids, result.findings, strict=True)
               if found.key in earlier]
    history = repo.events_of_findings(session, [before.id for _, before in carried])
    for new_id, before in carried:
        session.add_all(
            FindingEvent(finding_id=new_id, from_status=e.from_status, to_status=e.to_status, user=e.user, at=e.at,
                         comment=e.comment)
            for e in history[before.id]
        )
    session.flush()
    steps = {new_id: tuple(Step(e.from_status, e.to_status, e.user, as_utc(e.at), e.comment) for e in history[before.id])
             for new_id, before in carried}
    statuses = {new_id: before.status for new_id, before in carried}
    views = [
        FindingView(new_id, f.kind, f.severity, f.as_of, f.sub_account, f.external_account, f.asset,
                    Decimal(plain(f.amount)), f.message, statuses.get(new_id, "open"), f.evidence, steps.get(new_id, ()), 1)
        for new_id, f in zip(ids, result.findings, strict=True)
    ]
    return len(carried), views


def _evidence_json(evidence: Sequence[m.Evidence]) -> str:
    """A finding's evidence as stored: runs of lines from one file and sheet, in the evidence's
    order, ``[{"file": ..., "sheet": ..., "rows": [12, 13, ...]}, ...]``. (A finding can name
    hundreds of thousands of lines; one object per line, as runs stored before December 2026 did,
    ``[{"file": ..., "sheet": ..., "row": 12}, ...]``, took seven times the room. Both are read.)"""
    if isinstance(evidence, m.EvidenceRows):  # already runs: only neighbours of one file and sheet to join
        runs: list[tuple[str, str | None, list[int]]] = []
        for file, sheet, rows in evidence.runs:
            if runs and runs[-1][:2] == (file, sheet):
                runs[-1] = (file, sheet, runs[-1][2] + rows)
            else:
                runs.append((file, sheet, rows))
    else:
        runs = [(file, sheet, list(map(itemgetter(2), lines)))
                for (file, sheet), lines in groupby(evidence, key=itemgetter(0, 1))]
    return json.dumps([{"file": file, "sheet": sheet, "rows": rows} for file, sheet, rows in runs])


def evidence_of(stored: str) -> Sequence[m.Evidence]:
    """The evidence a finding's stored text names, in either of the forms it has been stored in."""
    items = json.loads(stored)
    if all("rows" in item for item in items):
        return m.EvidenceRows([(item["file"], item["sheet"], item["rows"]) for item in items])
    return tuple(m.Evidence(item["file"], item["sheet"], item["row"]) for item in items)


def _results(result: Reconciliation) -> dict:  # type: ignore[type-arg]
    """The run's figures, amounts as exact strings."""
    seg = result.segregation
    amount = format_amount
    days = {day: day.isoformat() for day in {s.as_of for s in result.used}}
    return {
        "segregation": {"requirement": amount(seg.requirement), "resources": amount(seg.resources),
                        "excess": amount(seg.excess), "undermargined": amount(seg.undermargined),
                        "buffer": amount(seg.buffer)},
        "by_currency": [
            {"asset": c.asset, "quantity": amount(c.quantity), "resources": amount(c.resources),
             "requirement": amount(c.requirement), "excess": amount(c.excess), "buffer": amount(c.buffer)}
            for c in result.by_currency
        ],
        "sub_accounts": [
            {"code": code, "name": name, "kind": kind, "equity": equity, "venue_equity": venue,
             "initial_margin": im, "maintenance_margin": mm}
            for code, name, kind, equity, venue, im, mm in _as_text(result.sub_accounts, (3, 4, 5, 6))
        ],
        "statements_used": [
            {"external_account": f"{s.source}:{s.account}", "as_of": days[s.as_of], "lines": s.lines}
            for s in result.used
        ],
        # Margin per sub-account and venue (external account), for the schedule's venue view.
        "venues": [
            {"sub_account": sub, "external_account": account, "equity": equity, "initial_margin": im,
             "maintenance_margin": mm}
            for sub, account, equity, im, mm in _as_text(result.margins, (2, 3, 4))
        ],
    }


def _as_text(rows: Sequence[tuple], money: tuple[int, ...]) -> Iterable[tuple]:  # type: ignore[type-arg]
    """Rows with their amounts (the fields at ``money``) as plain text: as they are kept, for rows
    kept as columns (``columnar.Figures``, a run's 100,000-row lists); else written with ``plain``
    (the figures come from exact arithmetic on finite amounts, so are finite)."""
    if isinstance(rows, Figures):
        return zip(*(rows.texts(i) for i in range(len(rows.columns))), strict=True)
    return (tuple(plain(v) if i in money else v for i, v in enumerate(row)) for row in rows)


def _view(session, run: Run, reused: bool = False, findings: list[FindingView] | None = None,  # type: ignore[no-untyped-def]
          results: dict | None = None) -> RunView:  # type: ignore[type-arg]
    """The run as stored. ``findings`` and ``results``: the findings and figures when the caller
    just stored them, so they need not be read back (what was written is exactly what would be read)."""
    if findings is None:
        findings = []
        rows = repo.findings_of_run(session, run.id)
        events = repo.events_of_findings(session, [f.id for f in rows])
        for f in rows:
            history = tuple(Step(e.from_status, e.to_status, e.user, as_utc(e.at), e.comment) for e in events[f.id])
            lines = evidence_of(f.evidence)
            findings.append(FindingView(f.id, f.kind, f.severity, f.as_of, f.sub_account, f.external_account, f.asset,
                                        f.amount, f.message, f.status, lines, history, f.version))
    inputs = []
    for item in json.loads(run.inputs):
        batch = session.get(ImportBatch, item["batch"])
        inputs.append(InputFile(batch.id, batch.file_name, batch.sheet or None, batch.sha256, batch.row_count,
                                batch.source.name, batch.imported_by, as_utc(batch.imported_at)))
    signs = {
        role: SignOffView(role, s.user, as_utc(s.at), s.comment) for role, s in repo.sign_offs(session, run.id).items()
    }
    return RunView(run.id, run.as_of, run.base_currency, run.created_by, as_utc(run.created_at), run.fingerprint,
                   json.loads(run.results) if results is None else results, tuple(findings), tuple(inputs), signs,
                   reused)


def schedule_of(results: dict) -> list[SubAccountFigures]:  # type: ignore[type-arg]
    """A run's stored sub-account schedule as exact values."""
    return [SubAccountFigures(s["code"], s["name"], s["kind"], Decimal(s["equity"]), Decimal(s["venue_equity"]),
                              Decimal(s["initial_margin"]), Decimal(s["maintenance_margin"]))
            for s in results["sub_accounts"]]


def venues_of(results: dict) -> list[VenueMargin]:  # type: ignore[type-arg]
    """A run's stored margin per sub-account and venue (none for runs made before it was kept)."""
    return [VenueMargin(v["sub_account"], v["external_account"], Decimal(v["equity"]), Decimal(v["initial_margin"]),
                        Decimal(v["maintenance_margin"]))
            for v in results.get("venues", [])]


def view_of(session, run: Run) -> RunView:  # type: ignore[no-untyped-def]
    """A stored run as plain values, inside the caller's session (the pack reads it with the rest)."""
    return _view(session, run)


def latest_day(db: Database) -> RunView | None:
    """The run for the most recent as-of date that has one: what a person opening the app wants."""
    with db.reading() as session:
        run = repo.latest_run_any_day(session)
        return None if run is None else _view(session, run)


def current_run(db: Database, as_of: dt.date) -> RunView | None:
    with db.reading() as session:
        run = repo.latest_run(session, as_of)
        return None if run is None else _view(session, run)


# --- the JSON of SPEC.md -------------------------------------------------------------------------


def run_json(view: RunView) -> dict:  # type: ignore[type-arg]
    seg = view.results["segregation"]
    return {
        "as_of": view.as_of.isoformat(),
        "base_currency": view.base_currency,
        "run_id": view.run_id,
        "segregation": {k: seg[k] for k in ("requirement", "resources", "excess", "undermargined")},
        "buffer": seg["buffer"],
        "by_currency": view.results["by_currency"],
        "sub_accounts": [
            {"code": s["code"], "kind": s["kind"], "equity": s["equity"]} for s in view.results["sub_accounts"]
        ],
        "findings": [
            {
                "id": f.id,
                "kind": f.kind,
                "severity": f.severity,
                "sub_account": f.sub_account,
                "external_account": f.external_account,
                "asset": f.asset,
                "amount": format_amount(f.amount),
                "status": f.status,
                "message": f.message,
                "evidence": [{"file": e.file, "sheet": e.sheet, "row": e.row} for e in f.evidence],
            }
            for f in view.findings
        ],
        "sign_offs": {
            role: {"user": s.user, "at": s.at.isoformat(), "comment": s.comment} for role, s in view.sign_offs.items()
        },
    }


def require_current(session, as_of: dt.date) -> Run:  # type: ignore[no-untyped-def]
    """The latest run for ``as_of``, refused if its inputs changed since: it no longer says what is true."""
    fingerprint = _basis(session, as_of).fingerprint
    run = repo.latest_run(session, as_of)
    if run is None:
        raise InputError(f"no reconciliation for {as_of} yet; run `segdesk reconcile --as-of {as_of}` first")
    if run.fingerprint != fingerprint:
        raise InputError(
            f"the statements or the chart changed since run {run.id} for {as_of}; run `segdesk reconcile "
            f"--as-of {as_of}` again first"
        )
    return run

