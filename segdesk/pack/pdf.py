"""The audit pack as a PDF (reportlab platypus), before it is signed.

Sections, in the order an auditor reads them: cover (who, when, verdict, the four figures),
contents, the segregation statement, findings (a summary table, then each finding with its
evidence and history), the sub-account schedule, the chart in force (designations, mappings),
the source files (attached to the PDF), and the audit-trail excerpt with the chain head.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from io import BytesIO

from reportlab.lib import colors
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from segdesk.pack.content import FindingRow, PackContent
from segdesk.pack.layout import (
    BOLD,
    FRAME_WIDTH,
    INK,
    LEVEL_COLOURS,
    MARGIN,
    MUTED,
    NAVY,
    NEGATIVE,
    PAGE,
    RULE,
    SANS,
    SEVERITY_COLOURS,
    Column,
    PackCanvas,
    PagedTable,
    amount_text,
    empty_note,
    esc,
    number_column,
    ratio_text,
    register_fonts,
    styles,
    two_lines,
    when,
)

FRAME_HEIGHT = PAGE[1] - 2 * MARGIN
# Where the visible signature goes on the cover: (x1, y1, x2, y2) in points from the bottom left.
SIGNATURE_BOX = (int(PAGE[0] - MARGIN - 250), int(MARGIN + 8), int(PAGE[0] - MARGIN), int(MARGIN + 68))
EVIDENCE_SHOWN = 12  # evidence rows listed per finding in the PDF; the xlsx lists them all
ARROW = "\u2192"
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def human(code: str) -> str:
    """A code as words: margin_shortfall -> margin shortfall, sign_off.preparer -> sign-off, preparer."""
    return code.replace("sign_off", "sign-off").replace("_", " ").replace(".", ", ")


class _Heading(Paragraph):
    """A section title that the contents page and the PDF outline point to."""

    def __init__(self, title: str, style) -> None:  # type: ignore[no-untyped-def]
        super().__init__(esc(title), style)
        self.section_title = title


class _PackDocument(BaseDocTemplate):
    def afterFlowable(self, flowable) -> None:  # type: ignore[no-untyped-def]
        if isinstance(flowable, _Heading):
            canvas = self.canv
            key = f"section-{len(canvas.sections) + 1}"
            canvas.sections.append((flowable.section_title, canvas.getPageNumber(), key))


def build_pdf(content: PackContent) -> bytes:
    """The unsigned pack."""
    register_fonts()
    st = styles()
    out = BytesIO()
    doc = _PackDocument(
        out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"Segregation audit pack {content.as_of} — {content.entity}",
        author=content.exported_by, subject=f"Run {content.run_id}: {content.verdict.title}",
        creator=content.generator, producer=content.generator, invariant=False,
    )
    frame = Frame(MARGIN, MARGIN, FRAME_WIDTH, PAGE[1] - 2 * MARGIN, id="body", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    story: list = []  # type: ignore[type-arg]
    story += _cover(content, st)
    story.append(PageBreak())
    story.append(Spacer(1, 1))  # the contents page: drawn by the canvas once page numbers are known
    story.append(PageBreak())
    story += _statement(content, st)
    story += _findings(content, st)
    story += _schedule(content, st)
    story += _chart(content, st)
    story += _sources(content, st)
    story += _audit(content, st)

    def canvasmaker(*args, **kwargs):  # type: ignore[no-untyped-def]
        return PackCanvas(
            *args,
            header_left=f"{content.entity} · Segregation audit pack",
            header_right=f"As of {content.as_of} · Run {content.run_id}",
            footer_left=f"SegDesk · audit chain head #{content.chain_head_seq} {content.chain_head[:16]}…",
            draft=content.draft,
            signature_box=SIGNATURE_BOX,
            **kwargs,
        )

    doc.build(story, canvasmaker=canvasmaker)
    return out.getvalue()


# --- cover ---------------------------------------------------------------------------------------


def _cover(c: PackContent, st) -> list:  # type: ignore[no-untyped-def, type-arg]
    colour = LEVEL_COLOURS[c.verdict.level]
    story: list = [  # type: ignore[type-arg]
        Spacer(1, 36),
        Paragraph("Segregation reconciliation", st["subtitle"]),
        Paragraph("Audit pack", st["title"]),
        Spacer(1, 4),
        Paragraph(esc(c.entity), st["h2"]),
        Spacer(1, 18),
    ]
    verdict = Table(
        [[Paragraph(f'<font color="{colour.hexval()}"><b>{esc(c.verdict.title)}</b></font>', st["h2"])],
         [Paragraph(esc(c.verdict.detail), st["body"])]],
        colWidths=[FRAME_WIDTH],
    )
    verdict.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SANS, 9),  # cells without a paragraph would otherwise use Helvetica
        ("LINEBEFORE", (0, 0), (0, -1), 4, colour),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f7f9fb")),
        ("LEFTPADDING", (0, 0), (-1, -1), 12),
        ("TOPPADDING", (0, 0), (-1, 0), 2),
        ("BOTTOMPADDING", (0, -1), (-1, -1), 10),
    ]))
    story += [verdict, Spacer(1, 18)]

    f = c.figures
    shown = number_column([f.requirement, f.resources, f.buffer, f.excess, f.undermargined])
    label_excess = "Excess" if f.excess >= 0 else "Shortfall"
    rows = [
        ["Requirement (client equity, deficits not netted)", shown[0]],
        ["Resources held in segregation", shown[1]],
        ["    of which the firm's buffer", shown[2]],
        [label_excess, shown[3]],
        ["Undermargined (client maintenance margin not covered)", shown[4]],
    ]
    figures = Table([["Segregation", f"{c.base_currency}"], *rows], colWidths=[FRAME_WIDTH - 170, 170])
    style = [
        ("FONT", (0, 0), (-1, -1), SANS, 10),
        ("FONT", (0, 0), (-1, 0), BOLD, 10),
        ("TEXTCOLOR", (0, 0), (-1, 0), NAVY),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, NAVY),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("TEXTCOLOR", (0, 3), (-1, 3), MUTED),
        ("FONT", (0, 4), (-1, 4), BOLD, 10),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    if f.excess < 0:
        style.append(("TEXTCOLOR", (1, 4), (1, 4), NEGATIVE))
    figures.setStyle(TableStyle(style))
    story += [figures, Spacer(1, 20)]

    def signed(role: str) -> list[str]:
        s = c.signatures.get(role)
        if s is None:
            return ["not yet" if role == "reviewer" else "not signed", ""]
        return [s.user, when(s.at) + (f" — {s.comment}" if s.comment else "")]

    people = [
        ["As of", str(c.as_of), ""],
        ["Run", f"{c.run_id}, created by {c.run_created_by}", when(c.run_created_at)],
        ["Prepared by", *signed("preparer")],
        ["Reviewed by", *signed("reviewer")],
        ["Exported by", c.exported_by, when(c.exported_at)],
        ["Inputs", f"{len(c.sources)} file(s); inputs fingerprint:", ""],
        ["", "\x00" + c.fingerprint, ""],
        ["Audit chain head", f"event #{c.chain_head_seq}:", ""],
        ["", "\x00" + c.chain_head, ""],
    ]
    cells = [[Paragraph(esc(a), st["small"]),
              Paragraph(esc(b[1:]), st["mono"]) if b.startswith("\x00") else Paragraph(esc(b), st["body"]),
              Paragraph(esc(t), st["small"])]
             for a, b, t in people]
    who = Table(cells, colWidths=[95, FRAME_WIDTH - 95 - 190, 190])
    who.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SANS, 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("SPAN", (1, -1), (2, -1)),
        ("SPAN", (1, -3), (2, -3)),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    story += [who, Spacer(1, 14)]
    if c.draft:
        story.append(Paragraph(
            "<b>DRAFT.</b> No reviewer has approved this run: the figures and findings may still change.",
            st["body"]))
    story.append(Paragraph(
        "This document is digitally signed as a certification that allows no change. Check it with "
        "<b>segdesk verify</b> or any PAdES-aware reader (Adobe Acrobat Reader, pdfsig). The source files "
        "it was computed from are attached to it.", st["small"]))
    return story


# --- the segregation statement -------------------------------------------------------------------


def _statement(c: PackContent, st) -> list:  # type: ignore[no-untyped-def, type-arg]
    story: list = [_Heading("Segregation statement", st["h1"])]  # type: ignore[type-arg]
    story.append(Paragraph(
        f"How the figures are computed: requirement = sum of client equity, each client's deficit counted as zero (never netted "
        f"against another client); resources = every line held in client-segregated and omnibus client "
        f"accounts, valued in {esc(c.base_currency)}; excess = resources − requirement. Negative amounts are "
        f"shown in parentheses.", st["small"]))
    story.append(Spacer(1, 8))
    rows = c.by_currency
    if not rows:
        story.append(empty_note("No balances held in segregated accounts.", st["body"]))
        return story
    columns = [Column("Held", 60), Column("Units held", 110, numeric=True),
               Column(f"Resources ({c.base_currency})", 90, numeric=True),
               Column(f"Requirement ({c.base_currency})", 90, numeric=True),
               Column(f"Excess ({c.base_currency})", 90, numeric=True),
               Column(f"Buffer ({c.base_currency})", FRAME_WIDTH - 440, numeric=True)]
    cols = [number_column([*(getattr(r, k) for r in rows), total])
            for k, total in (("quantity", None), ("resources", c.figures.resources),
                             ("requirement", c.figures.requirement), ("excess", c.figures.excess),
                             ("buffer", c.figures.buffer))]
    data = [[r.asset, *(col[i] for col in cols)] for i, r in enumerate(rows)]
    data.append([f"Total ({c.base_currency})", *(col[-1] for col in cols)])

    def negatives(i: int, row: Sequence[str]) -> list[tuple]:  # type: ignore[type-arg]
        return [("TEXTCOLOR", (j, i), (j, i), NEGATIVE) for j, cell in enumerate(row) if j and cell.endswith(")")]

    table = PagedTable(columns, data, size=8, row_height=14, row_style=negatives)
    story.append(table)
    story.append(Spacer(1, 4))
    story.append(Paragraph(
        f"Units are in each asset's own unit; every other column is in {esc(c.base_currency)}. The last row is "
        "the statement in base currency.", st["small"]))
    return story


# --- findings ------------------------------------------------------------------------------------


def _findings(c: PackContent, st) -> list:  # type: ignore[no-untyped-def, type-arg]
    story: list = [PageBreak(), _Heading("Findings", st["h1"])]  # type: ignore[type-arg]
    if not c.findings:
        story.append(empty_note("The reconciliation raised no findings.", st["body"]))
        return story
    by_status = Counter(f.status for f in c.findings)
    by_severity = Counter(f.severity for f in c.findings)
    story.append(Paragraph(
        f"{len(c.findings)} finding(s): " + ", ".join(f"{n} {esc(s)}" for s, n in sorted(by_severity.items()))
        + "; " + ", ".join(f"{n} {esc(s)}" for s, n in sorted(by_status.items())) + ".", st["body"]))
    kinds = Counter((f.kind, f.severity) for f in c.findings)
    kind_rows = [[human(k), s, str(n)]
                 for (k, s), n in sorted(kinds.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[0][1], 9), kv[0][0]))]
    story.append(Spacer(1, 6))
    story.append(PagedTable([Column("Kind", 200), Column("Severity", 100), Column("Count", 60, numeric=True)],
                            kind_rows, size=8, row_height=13))
    story.append(Spacer(1, 12))
    story.append(Paragraph("All findings", st["h2"]))
    amounts = number_column([f.amount or None for f in c.findings])
    columns = [Column("ID", 26, numeric=True), Column("Severity", 40), Column("Kind", 90),
               Column("Sub-account", 58), Column("External account", 152), Column("Asset", 32),
               Column(f"Amount ({c.base_currency})", 62, numeric=True), Column("Status", FRAME_WIDTH - 460)]
    rows = [[str(f.id), f.severity, human(f.kind), f.sub_account or "", f.external_account or "", f.asset or "",
             amounts[i] or "—", f.status] for i, f in enumerate(c.findings)]

    def severity(i: int, row: Sequence[str]) -> list[tuple]:  # type: ignore[type-arg]
        colour = SEVERITY_COLOURS.get(row[1])
        return [("TEXTCOLOR", (1, i), (1, i), colour)] if colour else []

    story.append(PagedTable(columns, rows, row_style=severity))
    story.append(CondPageBreak(120))
    story.append(Paragraph("Each finding: message, evidence and history", st["h2"]))
    story += [_finding_card(f, c.base_currency, st) for f in c.findings]
    return story


class _Card(Paragraph):
    """One finding's message, evidence and history: kept on one page (moved whole to the next one)
    unless it is taller than a page. Cheaper than KeepTogether, which measures everything twice."""

    def split(self, avail_width, avail_height):  # type: ignore[no-untyped-def]
        if avail_height < FRAME_HEIGHT - 1:
            return []  # not at the top of a page: start on the next one
        return super().split(avail_width, avail_height)


def _finding_card(f: FindingRow, base: str, st) -> Paragraph:  # type: ignore[no-untyped-def]
    colour = SEVERITY_COLOURS.get(f.severity, INK).hexval()
    where = " · ".join(esc(x) for x in (f.sub_account, f.external_account, f.asset) if x)
    amount = f" · {esc(amount_text(f.amount))} {esc(base)}" if f.amount else ""
    title = (f'<b>#{f.id}</b> <font color="{colour}"><b>{esc(f.severity)}</b></font> <b>{esc(human(f.kind))}</b>'
             f"{' · ' + where if where else ''}{amount} · <b>{esc(f.status)}</b>")
    lines = [title, esc(f.message)]
    if f.evidence:
        shown = "; ".join(
            esc(f"{file}{' / ' + sheet if sheet else ''} row {row}") for file, sheet, row in f.evidence[:EVIDENCE_SHOWN]
        )
        more = len(f.evidence) - EVIDENCE_SHOWN
        lines.append(f'<font color="{MUTED.hexval()}">Evidence: {shown}'
                     f"{f' … and {more} more row(s), listed in the xlsx' if more > 0 else ''}</font>")
    for step in f.history:
        frm = esc(step.from_status or "new")
        comment = f" — “{esc(step.comment)}”" if step.comment else ""
        lines.append(f'<font color="{MUTED.hexval()}">{esc(when(step.at))} {esc(step.user)}: {frm} {ARROW} '
                     f"{esc(step.to_status)}{comment}</font>")
    return _Card("<br/>".join(lines), st["card"])


# --- the sub-account schedule --------------------------------------------------------------------


def _schedule(c: PackContent, st) -> list:  # type: ignore[no-untyped-def, type-arg]
    story: list = [PageBreak(), _Heading("Sub-account schedule", st["h1"])]  # type: ignore[type-arg]
    story.append(Paragraph(
        f"Equity is each sub-account's total across every venue and custodian, in {esc(c.base_currency)}. Venue "
        "equity, initial margin (IM) and maintenance margin (MM) are those reported by margin-carrying venues; "
        "the margin ratio is venue equity over MM.", st["small"]))
    story.append(Spacer(1, 6))
    subs = c.sub_accounts
    if not subs:
        story.append(empty_note("No sub-accounts in the chart.", st["body"]))
        return story
    cols = [number_column([getattr(s, k) for s in subs])
            for k in ("equity", "venue_equity", "initial_margin", "maintenance_margin")]
    columns = [Column("Code", 58), Column("Name", 100), Column("Kind", 50), Column("Equity", 80, numeric=True),
               Column("Venue equity", 70, numeric=True), Column("IM", 52, numeric=True),
               Column("MM", 52, numeric=True), Column("MM ratio", FRAME_WIDTH - 462, numeric=True)]
    rows = [[s.code, s.name, s.kind, *(col[i] for col in cols), ratio_text(s.margin_ratio)]
            for i, s in enumerate(subs)]

    def negatives(i: int, row: Sequence[str]) -> list[tuple]:  # type: ignore[type-arg]
        return [("TEXTCOLOR", (j, i), (j, i), NEGATIVE) for j in (3, 4) if row[j].endswith(")")]

    story.append(PagedTable(columns, rows, row_style=negatives))
    return story


# --- the chart in force --------------------------------------------------------------------------


def _chart(c: PackContent, st) -> list:  # type: ignore[no-untyped-def, type-arg]
    story: list = [PageBreak(), _Heading("Designations and mappings in force", st["h1"])]  # type: ignore[type-arg]
    story.append(Paragraph("External accounts and their designations", st["h2"]))
    if c.accounts:
        story.append(PagedTable(
            [Column("Source", 150), Column("Kind", 70), Column("Account", 160), Column("Designation", FRAME_WIDTH - 380)],
            [[a.source, a.source_kind, a.account, human(a.designation) if a.designation else
              ("(ledger: compared with the statements, holds no money)" if a.source_kind == "ledger"
               else "(none: its balances cannot be segregated)")] for a in c.accounts],
        ))
    else:
        story.append(empty_note("No external accounts.", st["body"]))
    story.append(Spacer(1, 10))
    story.append(Paragraph(f"Mappings valid on {c.as_of}", st["h2"]))
    if c.mappings:
        story.append(PagedTable(
            [Column("Source", 120), Column("Account", 115), Column("Reference", 90), Column("Sub-account", 80),
             Column("Valid from", 53), Column("Valid to", FRAME_WIDTH - 458)],
            [[m.source, m.account, m.reference or "(every line)", m.sub_account,
              str(m.valid_from or ""), str(m.valid_to or "")] for m in c.mappings],
        ))
    else:
        story.append(empty_note("No mappings.", st["body"]))
    return story


# --- sources and the audit trail -----------------------------------------------------------------


def _sources(c: PackContent, st) -> list:  # type: ignore[no-untyped-def, type-arg]
    story: list = [PageBreak(), _Heading("Source files", st["h1"])]  # type: ignore[type-arg]
    story.append(Paragraph(
        "Every file this run was computed from. Each is attached to this PDF under the name shown; its "
        "SHA-256 lets anyone check the attachment, or the file they hold, is the one used.", st["small"]))
    story.append(Spacer(1, 6))
    if not c.sources:
        story.append(empty_note("No source files.", st["body"]))
        return story
    for s in c.sources:
        sheet = f" (sheet {s.sheet})" if s.sheet else ""
        block = Table(
            [[Paragraph(f"<b>{esc(s.file_name)}</b>{esc(sheet)}", st["cell"]),
              Paragraph(f"{s.rows:,} rows · {esc(s.source)}", st["cell"])],
             [Paragraph(f"Imported by {esc(s.imported_by)} at {esc(when(s.imported_at))} · batch {s.batch_id} · "
                        f"attached as {esc(s.attachment)}", st["small"]), ""],
             [Paragraph(f"SHA-256 {esc(s.sha256)}", st["mono"]), ""]],
            colWidths=[FRAME_WIDTH - 160, 160],
        )
        block.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), SANS, 8),
            ("SPAN", (0, 1), (1, 1)), ("SPAN", (0, 2), (1, 2)),
            ("LINEBELOW", (0, -1), (-1, -1), 0.25, RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
        ]))
        story.append(KeepTogether(block))
    return story


def _audit(c: PackContent, st) -> list:  # type: ignore[no-untyped-def, type-arg]
    story: list = [PageBreak(), _Heading("Audit trail excerpt", st["h1"])]  # type: ignore[type-arg]
    story.append(Paragraph(
        "The events behind this day: importing its files, its runs, what was done to their findings, and the "
        "sign-offs. Each event's hash covers the one before it; the chain head below is the latest event in "
        "the database when this pack was exported. <b>segdesk audit verify</b> on the database recomputes "
        "the whole chain.", st["small"]))
    story.append(Spacer(1, 6))
    head = Table([[Paragraph(f"<b>Chain head</b>: event #{c.chain_head_seq}", st["body"])],
                  [Paragraph(esc(c.chain_head), st["mono"])]], colWidths=[FRAME_WIDTH])
    head.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), SANS, 9), ("BOX", (0, 0), (-1, -1), 0.5, RULE), ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f7f9fb"))]))
    story += [head, Spacer(1, 10)]
    if not c.audit:
        story.append(empty_note("No events.", st["body"]))
        return story
    detail_width = FRAME_WIDTH - 24 - 78 - 54 - 84 - 62 - 62
    story.append(PagedTable(
        [Column("#", 24, numeric=True), Column("When (UTC)", 78), Column("Who", 54), Column("Action", 84),
         Column("Entity", 62), Column("Detail", detail_width), Column("Hash", 62, mono=True)],
        [[str(e.seq), e.at[:19].replace("T", " "), e.actor, human(e.action), human(f"{e.entity} {e.entity_id or ''}"),
          two_lines(e.detail, SANS, 7.5, detail_width - 6), f"{e.hash[:10]}\n{e.hash[10:20]}…"] for e in c.audit],
        row_height=20,
    ))
    return story
