"""Audit pack speed: build + attach + sign, against reportlab building the same tables unsigned.

For 1k and 10k sub-accounts with 10k findings (each with two evidence rows and one history step),
both sides lay out the same content in the same embedded fonts:
  * SegDesk: ``build_pdf`` (cover, contents, statement, findings table and cards, schedule, chart,
    sources, audit; page x of y, header, footer, DRAFT), then the attachments, then the PAdES
    certification signature;
  * baseline: plain reportlab platypus, SimpleDocTemplate, the same tables (in page-sized Table
    chunks with repeated headers, the fast way) and the same finding paragraphs; unsigned, no
    attachments, no page furniture.
The two alternate, several times; medians and their ratio are printed. Gathering the content
from the database is not included on either side.

    .venv/bin/python benchmarks/pack_speed.py [--subs 1000 10000] [--findings 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle  # noqa: E402

from segdesk.pack import content as pc  # noqa: E402
from segdesk.pack.attachments import Attachment, attach  # noqa: E402
from segdesk.pack.layout import BOLD, SANS, font_path, register_fonts, styles  # noqa: E402
from segdesk.pack.pdf import SIGNATURE_BOX, _finding_card, build_pdf  # noqa: E402
from segdesk.pack.signing import create_key, open_key, sign_pdf  # noqa: E402

AT = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)
KINDS = ["commingling", "margin_shortfall", "client_deficit", "unmapped_balance", "balance_break"]


def make_content(subs: int, findings: int) -> pc.PackContent:
    sub_rows = tuple(
        pc.SubAccountRow(f"C-{i:06d}", f"Client {i} Holdings Ltd", "client", f"Client {i}",
                         Decimal(f"{(i * 7919) % 10**7}.{i % 100:02d}") - 2_000_000, Decimal(i % 5000),
                         Decimal(i % 700), Decimal(i % 350))
        for i in range(subs)
    )
    rows = tuple(
        pc.FindingRow(i + 1, KINDS[i % 5], "critical" if i % 3 == 0 else "high", f"C-{i % subs:06d}",
                      f"Northbridge Custody:{i % 97:07d}-01", "USD" if i % 2 else None,
                      Decimal(f"{(i * 31) % 10**6}.{i % 100:02d}"), "open",
                      f"C-{i % subs:06d} holds client money in a proprietary account ({i} USD) on 2026-11-20",
                      (("north.xlsx", "Holdings", 10 + i), ("helix.csv", None, 4 + i)),
                      (pc.Step(None, "open", "alice", AT, ""),))
        for i in range(findings)
    )
    figures = pc.Figures(Decimal("1234567.891"), Decimal("1300000"), Decimal("65432.109"), Decimal(0), Decimal(10000))
    return pc.PackContent(
        entity="Bench Fund", as_of=dt.date(2026, 11, 20), run_id=1, base_currency="USD", fingerprint="f" * 64,
        run_created_by="alice", run_created_at=AT, exported_by="alice", exported_at=AT,
        verdict=pc.verdict_of(figures, rows, "USD", "65,432.109"), signatures={}, figures=figures,
        by_currency=(pc.CurrencyRow("USD", Decimal(1300000), Decimal(1300000), Decimal("1234567.891"),
                                    Decimal("65432.109"), Decimal(10000)),),
        findings=rows, sub_accounts=sub_rows, accounts=(), mappings=(),
        sources=(pc.SourceFile(1, "north.xlsx", "Holdings", "a" * 64, 10, "Northbridge", "alice", AT, "north.xlsx"),),
        audit=(), chain_head_seq=1, chain_head="b" * 64,
    )


def segdesk_pack(content: pc.PackContent, key, source: bytes) -> bytes:  # type: ignore[no-untyped-def]
    pdf = build_pdf(content)
    pdf = attach(pdf, [Attachment("north.xlsx", source, "source"), Attachment("pack.json", b"{}", "facts")])
    return sign_pdf(pdf, key, reason="bench", box=SIGNATURE_BOX, font=font_path("DejaVuSansCondensed-Stamp.ttf"))


def baseline_pack(content: pc.PackContent, out: Path) -> bytes:
    """Plain reportlab: the same tables and finding paragraphs, unsigned."""
    from segdesk.domain.money import grouped, plain

    register_fonts()
    st = styles()

    def chunked(header: list[str], rows: list[list[str]], widths: list[float]) -> list:  # type: ignore[type-arg]
        tables: list = []  # type: ignore[type-arg]
        for start in range(0, len(rows), 55):
            table = Table([header, *rows[start:start + 55]], colWidths=widths, rowHeights=11.5, repeatRows=1)
            table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), SANS, 7.5), ("FONT", (0, 0), (-1, 0), BOLD, 7.5),
                                       ("ALIGN", (3, 0), (-1, -1), "RIGHT")]))
            tables.append(table)
        return tables

    def money(d: Decimal) -> str:
        return grouped(plain(d))

    story: list = [Paragraph("Audit pack", st["title"]), PageBreak()]  # type: ignore[type-arg]
    story += chunked(["ID", "Severity", "Kind", "Sub-account", "External account", "Asset", "Amount", "Status"],
                     [[str(f.id), f.severity, f.kind, f.sub_account or "", f.external_account or "", f.asset or "",
                       money(f.amount), f.status] for f in content.findings],
                     [34, 44, 104, 70, 118, 36, 56, 49])
    story += [_finding_card(f, content.base_currency, st) for f in content.findings]
    story.append(PageBreak())
    story += chunked(["Code", "Name", "Kind", "Equity", "Venue equity", "IM", "MM", "MM ratio"],
                     [[s.code, s.name, s.kind, money(s.equity), money(s.venue_equity), money(s.initial_margin),
                       money(s.maintenance_margin), "" if s.margin_ratio is None else f"{s.margin_ratio:.2%}"]
                      for s in content.sub_accounts],
                     [58, 100, 50, 80, 70, 52, 52, 49])
    SimpleDocTemplate(str(out), pagesize=A4).build(story)
    return out.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--findings", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        create_key(home / "bench.p12", "Bench Signer, Bench Fund Services", "bench passphrase")
        key = open_key(home / "bench.p12", "bench passphrase")
        source = bytes(range(256)) * 400  # a 100 KB attachment
        print(f"{'sub-accounts':>12} {'findings':>9} {'SegDesk':>9} {'baseline':>9} {'ratio':>6} {'pack size':>10} "
              f"{'baseline size':>13}")
        for subs in args.subs:
            content = make_content(subs, args.findings)
            ours, theirs = [], []
            size = base_size = 0
            for _ in range(args.repeat):
                t = time.perf_counter()
                size = len(segdesk_pack(content, key, source))
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                base_size = len(baseline_pack(content, home / "baseline.pdf"))
                theirs.append(time.perf_counter() - t)
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"{subs:>12,} {args.findings:>9,} {a:>8.2f}s {b:>8.2f}s {a / b:>5.2f}x {size / 1e6:>8.1f}MB "
                  f"{base_size / 1e6:>11.1f}MB", flush=True)


if __name__ == "__main__":
    main()
