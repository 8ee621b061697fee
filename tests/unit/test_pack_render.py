"""The pack's two renderings from plain values: markup stays text, long tables page with their header,
text cells in the xlsx never become formulas."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from segdesk.pack import content as pc
from segdesk.pack.pdf import build_pdf
from segdesk.pack.workbook import write_workbook

AT = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)
HOSTILE = '<b>Bold?</b> & <font color="red">red</font> <img src="x"/> =HYPERLINK("http://x","y")'


def content(*, subs: int = 3, name: str = "Délta Fonds €", message: str = "Margin shortfall", approved: bool = False,
            reference: str = "ZETA") -> pc.PackContent:
    figures = pc.Figures(Decimal("1234567.891"), Decimal(1300000), Decimal("65432.109"), Decimal(0),
                         Decimal(10000))
    findings = (
        pc.FindingRow(1, "margin_shortfall", "critical", "C-1", "Helix Exchange:c1", None, Decimal("-11997.6"), "open",
                      message, (("helix.csv", None, 4), ("north.xlsx", "Holdings", 9)),
                      (pc.Step(None, "open", "alice", AT, ""), pc.Step("open", "acknowledged", "bob", AT, HOSTILE))),
    )
    sub_rows = tuple(
        pc.SubAccountRow(f"C-{i:05d}", name if i == 0 else f"Client {i}", "client", None, Decimal(i) - 2,
                         Decimal(0), Decimal(0), Decimal(0) if i % 2 else Decimal(5))
        for i in range(subs)
    )
    signatures = {"preparer": pc.Signature("preparer", "alice", AT, "")}
    if approved:
        signatures["reviewer"] = pc.Signature("reviewer", "bob", AT, "ok")
    return pc.PackContent(
        entity="Fonds Äquator SICAV — =cmd", as_of=dt.date(2026, 11, 20), run_id=7, base_currency="EUR",
        fingerprint="f" * 64, run_created_by="alice", run_created_at=AT, exported_by="alice", exported_at=AT,
        verdict=pc.verdict_of(figures, findings, "EUR", "65,432.109"), signatures=signatures, figures=figures,
        by_currency=(pc.CurrencyRow("EUR", Decimal(1300000), Decimal(1300000), Decimal("1234567.891"),
                                    Decimal("65432.109"), Decimal(10000)),),
        findings=findings, sub_accounts=sub_rows,
        accounts=(pc.AccountRow("Helix Exchange", "exchange", "c1", "client_segregated"),),
        mappings=(pc.MappingRow("Helix Exchange", "c1", reference, "C-00000", None, None),),
        sources=(pc.SourceFile(1, "helix.csv", None, "a" * 64, 4, "Helix Exchange", "alice", AT, "helix.csv"),),
        audit=(pc.AuditRow(1, AT.isoformat(), "alice", "import", "import_batch", "1", "file: helix.csv", "b" * 64),),
        chain_head_seq=1, chain_head="b" * 64,
    )


def pdf_text(tmp_path: Path, pdf: bytes) -> list[str]:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext is not installed here")
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return done.stdout.split("\f")[:-1]


def test_statement_and_user_text_is_printed_literally_never_as_markup(tmp_path):
    pages = pdf_text(tmp_path, build_pdf(content(name=HOSTILE[:40], message=HOSTILE)))
    whole = " ".join(" ".join(pages).split())
    assert '<b>Bold?</b> & <font color="red">red</font> <img src="x"/>' in whole
    assert "Fonds Äquator SICAV — =cmd" in whole


def test_a_long_schedule_pages_linearly_with_its_header_on_every_page(tmp_path):
    pages = pdf_text(tmp_path, build_pdf(content(subs=3000)))
    schedule = [p for p in pages if "C-0" in p and "MM ratio" in p]
    assert len(schedule) >= 40
    assert all("Code" in p and "Equity" in p for p in schedule)  # the header repeats
    rows = sum(p.count("Client ") for p in schedule)
    assert rows == 2999  # every row once: nothing lost or doubled at the page breaks
    assert "C-02999" in schedule[-1]


def test_draft_only_until_a_reviewer_approves(tmp_path):
    assert all("DRAFT" in p for p in pdf_text(tmp_path, build_pdf(content())))
    assert not any("DRAFT" in p for p in pdf_text(tmp_path, build_pdf(content(approved=True))))


def test_verdict_reads_shortfall_before_exceptions():
    findings: tuple[pc.FindingRow, ...] = ()
    short = pc.Figures(Decimal(10), Decimal(4), Decimal(-6), Decimal(0), Decimal(0))
    assert pc.verdict_of(short, findings, "USD", "(6)").level == "shortfall"
    assert "by 6 USD" in pc.verdict_of(short, findings, "USD", "(6)").detail
    fine = pc.Figures(Decimal(10), Decimal(14), Decimal(4), Decimal(0), Decimal(0))
    assert pc.verdict_of(fine, findings, "USD", "4").level == "segregated"
    assert content().verdict.level == "exceptions"


def test_xlsx_text_cells_cannot_become_formulas(tmp_path):
    hostile_refs = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", '=HYPERLINK("http://x","y")']
    path = tmp_path / "pack.xlsx"
    base = content(message=hostile_refs[0])
    packs = pc.PackContent(**{**base.__dict__, "mappings": tuple(
        pc.MappingRow("Helix Exchange", "c1", ref, "C-00000", None, None) for ref in hostile_refs)})
    write_workbook(packs, path)
    wb = load_workbook(path)
    cells = [row[2] for row in wb["Mappings"].iter_rows(min_row=2)]
    assert [c.value for c in cells] == hostile_refs
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells)
    message = wb["Findings"].cell(row=2, column=9)
    assert message.value == "=1+1" and message.data_type == "s"
    entity = wb["Summary"].cell(row=2, column=2)
    assert entity.value == "Fonds Äquator SICAV — =cmd" and entity.data_type == "s"
    # and the raw XML holds no formula element at all
    import zipfile

    with zipfile.ZipFile(path) as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_xlsx_amounts_are_numbers_with_formats(tmp_path):
    path = tmp_path / "a.xlsx"
    write_workbook(content(), path)
    ws = load_workbook(path)["Statement"]
    total = [c.value for c in ws[3]]
    assert total[0] == "Total (EUR)"
    assert total[2] == 1300000 and total[3] == pytest.approx(1234567.891)
    assert ws.cell(row=2, column=2).number_format.startswith("#,##0.00")


def test_amounts_in_a_column_line_up_on_their_decimal_points():
    from reportlab.pdfbase import pdfmetrics

    from segdesk.pack.layout import POINT_SPACE, SANS, number_column, register_fonts

    register_fonts()
    shown = number_column([Decimal("1250000"), Decimal("2.9"), Decimal("-12500.5"), Decimal("0.0655"), None])
    assert shown[4] == ""
    # Right-aligned, so the points line up when what follows each point is equally wide.
    tails = [text[max(text.find("."), text.find(POINT_SPACE)):] for text in shown[:4]]
    widths = {round(pdfmetrics.stringWidth(t, SANS, 8), 1) for t in tails}
    assert len(widths) <= 2 and max(widths) - min(widths) < 0.5  # ")" and its stand-in differ by a sixth of a point
    assert shown[0].startswith("1,250,000" + POINT_SPACE) and shown[2].startswith("(12,500.5")


def test_a_findings_entry_is_never_split_across_pages(tmp_path):
    base = content()
    template = base.findings[0]
    findings = tuple(
        pc.FindingRow(i, "margin_shortfall", "critical", "C-1", "Helix Exchange:c1", None, Decimal(i), "open",
                      f"message-for-{i}: " + "words " * (i % 40) + "end",
                      tuple(("helix.csv", None, r) for r in range(i % 9)),
                      tuple(pc.Step("open", "acknowledged", "bob", AT, f"comment-for-{i}-{k}") for k in range(3)))
        for i in range(1, 121)
    )
    assert template.kind == "margin_shortfall"
    pages = pdf_text(tmp_path, build_pdf(pc.PackContent(**{**base.__dict__, "findings": findings})))
    for i in range(1, 121):
        holding = [n for n, page in enumerate(pages) if f"message-for-{i}:" in page]
        assert len(holding) == 1, i
        assert f"comment-for-{i}-2" in pages[holding[0]], f"finding {i} was split across pages"
