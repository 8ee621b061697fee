"""Exporting a day's run as a signed PDF audit pack (and an xlsx), and checking a pack.

The pack is built from the day's current run only: if a statement or the chart changed since
the run, the export is refused until the day is reconciled again, so a pack never shows figures
that the database no longer supports. Files are written to a temporary name and renamed, so a
failed or cancelled export leaves no half-written pack behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from segdesk import __version__
from segdesk.domain.money import grouped, plain
from segdesk.domain.problems import InputError
from segdesk.domain.progress import Progress
from segdesk.pack import content as pc
from segdesk.pack.attachments import PACK_FACTS, Attachment, attach, attachment_name
from segdesk.pack.files import write_atomically
from segdesk.pack.signing import (
    CreatedKey,
    SigningKey,
    Verification,
    create_key,
    open_key,
    sign_pdf,
    verify_pdf,
)
from segdesk.services.audit_trail import describe_payload
from segdesk.services.identity import acting_person, require
from segdesk.services.overview import as_utc
from segdesk.services.reconciling import RunView, require_current, schedule_of, view_of
from segdesk.store import records
from segdesk.store.audit import append_event, verify_chain
from segdesk.store.engine import Database

ENTITY_SETTING = "entity"
STAMP_FONT = "DejaVuSansCondensed-Stamp.ttf"  # see resources/fonts/make_stamp_font.py
STAGES = 6


@dataclass(frozen=True)
class ExportResult:
    pdf: Path
    xlsx: Path | None
    run_id: int
    as_of: dt.date
    draft: bool
    verdict: str
    signer: str
    sha256: str
    size: int
    findings: int
    sources: int


def entity_name(db: Database) -> str | None:
    with db.reading() as session:
        return records.get_text_setting(session, ENTITY_SETTING)


def set_entity_name(db: Database, name: str, *, user: str | None = None) -> str:
    """The fund or firm the packs are for, shown on every cover; audited when it changes."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InputError("the entity name cannot be empty")
    user = acting_person(db, user)
    with db.transaction() as session:
        before = records.get_text_setting(session, ENTITY_SETTING)
        if before != cleaned:
            require(db, user, "chart")  # naming the entity again as it is changes nothing: anyone may
            records.set_text_setting(session, ENTITY_SETTING, cleaned)
            append_event(session, actor=user, action="setting.entity", entity="setting", entity_id=ENTITY_SETTING,
                         payload={"from": before, "to": cleaned})
    return cleaned


def create_signing_key(out: Path, name: str, passphrase: str) -> CreatedKey:
    return create_key(out, name, passphrase)


# --- gathering -----------------------------------------------------------------------------------


def _dec(text: str) -> Decimal:
    return Decimal(text)


def gather(db: Database, as_of: dt.date, *, user: str | None = None) -> pc.PackContent:
    """Everything the pack shows for ``as_of``'s current run, as plain values."""
    exporter = acting_person(db, user, may="export")
    with db.reading() as session:
        entity = records.get_text_setting(session, ENTITY_SETTING)
        if entity is None:
            raise InputError('the entity the pack is for is not set; give it once with --entity "Fund name" '
                             "(or `segdesk init --entity ...`)")
        run = require_current(session, as_of)
        view: RunView = view_of(session, run)
        clients = records.sub_account_clients(session)
        accounts = tuple(pc.AccountRow(*row) for row in records.external_accounts_with_kind(session))
        mappings = tuple(pc.MappingRow(*row) for row in records.mappings_in_force(session, as_of))
        taken: set[str] = set()
        sources = tuple(
            pc.SourceFile(i.batch_id, i.file_name, i.sheet, i.sha256, i.rows, i.source, i.imported_by, i.imported_at,
                          attachment_name(i.batch_id, i.file_name, taken))
            for i in view.inputs
        )
        events = records.audit_excerpt(session, as_of, [i.batch_id for i in view.inputs])
        audit = tuple(pc.AuditRow(e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, describe_payload(e.payload), e.hash)
                      for e in events)
        chain = verify_chain(session)
        if not chain.intact:
            raise InputError(
                f"the audit trail is broken at event #{chain.broken_seq} ({chain.reason}); a pack cannot vouch "
                "for this database (see `segdesk audit verify`)"
            )
    results = view.results
    seg = results["segregation"]
    figures = pc.Figures(*(_dec(seg[k]) for k in ("requirement", "resources", "excess", "undermargined", "buffer")))
    findings = tuple(
        pc.FindingRow(f.id, f.kind, f.severity, f.sub_account, f.external_account, f.asset, f.amount, f.status,
                      f.message, tuple((e.file, e.sheet, e.row) for e in f.evidence),
                      tuple(pc.Step(s.from_status, s.to_status, s.user, s.at, s.comment) for s in f.history))
        for f in view.findings
    )
    subs = tuple(
        pc.SubAccountRow(s.code, s.name, s.kind, clients.get(s.code), s.equity, s.venue_equity, s.initial_margin,
                         s.maintenance_margin)
        for s in schedule_of(results)
    )
    by_currency = tuple(
        pc.CurrencyRow(r["asset"], *(_dec(r[k]) for k in ("quantity", "resources", "requirement", "excess", "buffer")))
        for r in results["by_currency"]
    )
    signatures = {role: pc.Signature(role, s.user, s.at, s.comment) for role, s in view.sign_offs.items()}
    verdict = pc.verdict_of(figures, findings, view.base_currency, grouped(plain(figures.excess)))
    return pc.PackContent(
        entity=entity, as_of=as_of, run_id=view.run_id, base_currency=view.base_currency,
        fingerprint=view.fingerprint, run_created_by=view.created_by, run_created_at=view.created_at,
        exported_by=exporter, exported_at=dt.datetime.now(dt.UTC), verdict=verdict, signatures=signatures,
        figures=figures, by_currency=by_currency, findings=findings, sub_accounts=subs, accounts=accounts,
        mappings=mappings, sources=sources, audit=audit, chain_head_seq=chain.events, chain_head=chain.head,
        generator=f"SegDesk {__version__}",
    )


def facts(content: pc.PackContent) -> dict:  # type: ignore[type-arg]
    """pack.json: the pack's key facts for machines (and for `segdesk verify`)."""
    f = content.figures
    return {
        "format": "segdesk-pack/1",
        "entity": content.entity,
        "as_of": content.as_of.isoformat(),
        "run_id": content.run_id,
        "base_currency": content.base_currency,
        "verdict": {"level": content.verdict.level, "title": content.verdict.title, "detail": content.verdict.detail},
        "draft": content.draft,
        "segregation": {k: plain(getattr(f, k)) for k in ("requirement", "resources", "excess", "undermargined",
                                                           "buffer")},
        "sign_offs": {r: {"user": s.user, "at": as_utc(s.at).isoformat()} for r, s in content.signatures.items()},
        "findings": len(content.findings),
        "inputs_fingerprint": content.fingerprint,
        "audit_chain_head": {"seq": content.chain_head_seq, "hash": content.chain_head},
        "sources": [{"file": s.file_name, "sheet": s.sheet, "sha256": s.sha256, "attachment": s.attachment}
                    for s in content.sources],
        "exported_by": content.exported_by,
        "exported_at": content.exported_at.isoformat(),
        "generator": content.generator,
    }


# --- exporting -----------------------------------------------------------------------------------


def _check_destination(path: Path, suffix: str, replace: bool) -> None:
    if path.suffix.lower() != suffix:
        raise InputError(f"{path}: the file name must end in {suffix}")
    if not path.parent.is_dir():
        raise InputError(f"{path}: its folder {path.parent} does not exist")
    if path.is_dir():
        raise InputError(f"{path}: is a folder")
    if path.exists() and not replace:
        # A pack may already be with an auditor: never replace one by accident.
        raise InputError(f"{path}: already exists; choose another name, or replace it on purpose (--replace)")


def export_pack(db: Database, as_of: dt.date, out: Path, key: SigningKey, *, xlsx: Path | None = None,
                entity: str | None = None, user: str | None = None, progress: Progress | None = None,
                replace: bool = False) -> ExportResult:
    """Build, attach, sign and write the pack for ``as_of`` (and the xlsx); audit the export."""
    from segdesk.pack.layout import font_path
    from segdesk.pack.pdf import SIGNATURE_BOX, build_pdf
    from segdesk.pack.workbook import write_workbook

    progress = progress or Progress()
    _check_destination(out, ".pdf", replace)
    if xlsx is not None:
        _check_destination(xlsx, ".xlsx", replace)
        if xlsx.resolve() == out.resolve():
            raise InputError("the PDF and the xlsx need different file names")
    if entity is not None:
        set_entity_name(db, entity, user=user)
    progress.report(0, STAGES, "gathering the run")
    content = gather(db, as_of, user=user)
    progress.report(1, STAGES, "laying out the PDF")
    unsigned = build_pdf(content)
    progress.report(2, STAGES, "attaching source files")
    files = [Attachment(PACK_FACTS, json.dumps(facts(content), indent=2, ensure_ascii=False).encode("utf-8"),
                        "The pack's key facts, for programs")]
    with db.reading() as session:
        contents = dict(records.batch_contents(session, [s.batch_id for s in content.sources]))
    for s in content.sources:
        data = contents.get(s.batch_id)
        if data is None or hashlib.sha256(data).hexdigest() != s.sha256:
            raise InputError(f"the stored copy of {s.file_name} (batch {s.batch_id}) does not match its SHA-256; "
                             "the database is damaged")
        files.append(Attachment(s.attachment, data, f"{s.file_name}: {s.rows} rows from {s.source}, SHA-256 {s.sha256}"))
    with_files = attach(unsigned, files)
    progress.report(3, STAGES, "signing")
    reason = f"Segregation audit pack {content.as_of}, run {content.run_id}: {content.verdict.title}" + (
        " (DRAFT)" if content.draft else "")
    note = f"Audit pack {content.as_of} · run {content.run_id}" + (" · DRAFT" if content.draft else "")
    signed = sign_pdf(with_files, key, reason=reason, box=SIGNATURE_BOX, font=font_path(STAMP_FONT), stamp_note=note)
    progress.report(4, STAGES, "writing")
    if xlsx is not None:
        fd, tmp = tempfile.mkstemp(dir=xlsx.parent, prefix=f".{xlsx.name}.", suffix=".tmp")
        os.close(fd)
        try:
            write_workbook(content, Path(tmp))
            os.replace(tmp, xlsx)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    progress.report(5, STAGES, "writing")
    write_atomically(out, signed)
    digest = hashlib.sha256(signed).hexdigest()
    with db.transaction() as session:
        append_event(session, actor=content.exported_by, action="pack.export", entity="run", entity_id=content.run_id,
                     payload={"as_of": as_of.isoformat(), "file": out.name, "sha256": digest, "signer": key.name,
                              "certificate": key.fingerprint, "draft": content.draft,
                              "xlsx": xlsx.name if xlsx else None})
    progress.report(STAGES, STAGES, "done")
    return ExportResult(out, xlsx, content.run_id, as_of, content.draft, content.verdict.title, key.name, digest,
                        len(signed), len(content.findings), len(content.sources))


def open_signing_key(path: Path, passphrase: str) -> SigningKey:
    return open_key(path, passphrase)


# --- verifying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackCheck:
    path: Path
    verification: Verification
    facts: dict | None  # type: ignore[type-arg]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_pack(path: Path, *, cert: Path | None = None) -> PackCheck:
    """Everything ``segdesk verify`` checks; trusts nothing the file says until its signature holds."""
    try:
        data = path.read_bytes()
    except OSError as exc:  # an unreadable pack is a failed check (exit 1), not a usage error
        reason = "no such file" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
        return PackCheck(path, Verification(False, (f"the file cannot be read: {reason}",)), None,
                         (f"the file cannot be read: {reason}",))
    result = verify_pdf(data, pinned=cert)
    problems = list(result.problems)
    found = None
    if result.attachments is not None and PACK_FACTS in result.attachments:
        try:
            found = json.loads(result.attachments[PACK_FACTS].decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            problems.append(f"its {PACK_FACTS} is not readable JSON")
    elif not problems:
        problems.append(f"it is signed, but it is not a SegDesk pack (no {PACK_FACTS} inside)")
    if found is not None and result.attachments is not None:
        for source in found.get("sources", []):
            attached = result.attachments.get(source.get("attachment", ""))
            if attached is None:
                problems.append(f"the source file {source.get('file')} is not attached")
            elif hashlib.sha256(attached).hexdigest() != source.get("sha256"):
                problems.append(f"the attached {source.get('file')} does not match its SHA-256")
    return PackCheck(path, result, found, tuple(problems))
