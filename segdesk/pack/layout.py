"""The pack's typography and page furniture: fonts, styles, number columns, fast long tables, and
the canvas that draws headers, footers, "page x of y", DRAFT and the contents page after layout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Table, TableStyle

from segdesk.domain.money import grouped, plain

FONT_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"
SANS, BOLD, ITALIC, MONO = "SegDesk-Sans", "SegDesk-Sans-Bold", "SegDesk-Sans-Italic", "SegDesk-Mono"
PAGE = A4
MARGIN = 42
FRAME_WIDTH = PAGE[0] - 2 * MARGIN

INK = colors.HexColor("#1c2733")
MUTED = colors.HexColor("#5b6b7a")
RULE = colors.HexColor("#c9d3dd")
BAND = colors.HexColor("#f2f5f8")
NAVY = colors.HexColor("#29496f")
NEGATIVE = colors.HexColor("#b3261e")
LEVEL_COLOURS = {"segregated": colors.HexColor("#1e7b45"), "exceptions": colors.HexColor("#b26a00"),
                 "shortfall": colors.HexColor("#b3261e")}
SEVERITY_COLOURS = {"critical": colors.HexColor("#b3261e"), "warning": colors.HexColor("#b26a00"),
                    "info": colors.HexColor("#3d6a99")}

FIGURE_SPACE = "\u2007"  # as wide as a digit: pads fractions so decimal points line up
PAREN_SPACE = "\u2004"  # about as wide as ")": keeps positives in line with parenthesised negatives
POINT_SPACE = "\u2008"  # as wide as ".": stands in for the point of a whole number


def font_path(name: str = "DejaVuSansCondensed.ttf") -> Path:
    return FONT_DIR / name


def register_fonts() -> None:
    """Embedded Unicode fonts (€, accented names, arrows); registered once per process."""
    if SANS in pdfmetrics.getRegisteredFontNames():
        return
    for name, file in ((SANS, "DejaVuSansCondensed.ttf"), (BOLD, "DejaVuSansCondensed-Bold.ttf"),
                       (ITALIC, "DejaVuSansCondensed-Oblique.ttf"), (MONO, "DejaVuSansMono.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=BOLD, italic=ITALIC, boldItalic=BOLD)


def styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=SANS, fontSize=9, leading=12, textColor=INK, alignment=TA_LEFT)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=22, leading=27, textColor=NAVY),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=16, textColor=MUTED),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=14, leading=18, textColor=NAVY,
                             spaceBefore=4, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=10.5, leading=14, textColor=INK,
                             spaceBefore=10, spaceAfter=4),
        "card": ParagraphStyle("card", parent=base, fontSize=8, leading=10.5, spaceAfter=6, leftIndent=6,
                               borderPadding=(4, 4, 4, 6)),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "mono": ParagraphStyle("mono", parent=base, fontName=MONO, fontSize=7, leading=9),
    }


def esc(text: object) -> str:
    """Statement and user text as literal text in reportlab's paragraph markup: never markup."""
    return escape(str(text), {'"': "&quot;"})


def when(at: dt.datetime | None) -> str:
    return "" if at is None else at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- numbers -------------------------------------------------------------------------------------


def amount_text(value: Decimal | None) -> str:
    """An exact amount with thousands separators, negatives in parentheses; blank for none."""
    return "" if value is None else grouped(plain(value))


def number_column(values: Sequence[Decimal | None]) -> list[str]:
    """A column of exact amounts, padded with figure spaces so their decimal points line up."""
    shown = [amount_text(v) for v in values]
    places = max((len(t.rstrip(")").partition(".")[2]) for t in shown if t), default=0)
    negatives = any(t.endswith(")") for t in shown)
    out = []
    for text in shown:
        if not text:
            out.append("")
            continue
        closing = text.endswith(")")
        whole, _, fraction = text.rstrip(")").partition(".")
        # [whole part][point, or a point-wide space][fraction][")", or a ")"-wide space][digit-wide spaces]:
        # what follows the point is equally wide on every row, so right-aligned points line up.
        point = ("." + fraction) if fraction else (POINT_SPACE if places else "")
        paren = ")" if closing else (PAREN_SPACE if negatives else "")
        out.append(whole + point + paren + FIGURE_SPACE * (places - len(fraction)))
    return out


def ratio_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2%}" if abs(value) < 1000 else f"{value:.4E}"


# --- tables --------------------------------------------------------------------------------------


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points: fixed-height rows never wrap."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[: max(1, int(len(text) * 0.9))] if len(text) > 40 else text[:-1]
    return text + "…"


def two_lines(text: str, font: str, size: float, width: float) -> str:
    """``text`` broken into at most two lines of ``width`` points (the second cut with an ellipsis)."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    words, first = text.split(" "), ""
    while words and pdfmetrics.stringWidth((first + " " + words[0]).strip(), font, size) <= width:
        first = (first + " " + words.pop(0)).strip()
    if not first:  # one long word: cut it
        return fit(text, font, size, width)
    return first + "\n" + fit(" ".join(words), font, size, width)


class Column:
    def __init__(self, title: str, width: float, *, numeric: bool = False, mono: bool = False) -> None:
        self.title, self.width, self.numeric, self.mono = title, width, numeric, mono


def base_table_style(columns: Sequence[Column], size: float) -> list[tuple]:  # type: ignore[type-arg]
    style: list[tuple] = [  # type: ignore[type-arg]
        ("FONT", (0, 0), (-1, -1), SANS, size),
        ("FONT", (0, 0), (-1, 0), BOLD, size),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for i, column in enumerate(columns):
        if column.numeric:
            style.append(("ALIGN", (i, 0), (i, -1), "RIGHT"))
        if column.mono:
            style.append(("FONT", (i, 1), (i, -1), MONO, size - 1))
    return style


class PagedTable(Flowable):
    """A long table laid out page by page: fixed column widths and row heights, so each page's
    rows are counted, not measured. reportlab's own splitting re-measures the rest of the table at
    every page break, which is quadratic; this is linear. The header repeats on every page."""

    def __init__(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, size: float = 7.5,
                 row_height: float = 11.5, row_style: Callable[[int, Sequence[str]], list[tuple]] | None = None,  # type: ignore[type-arg]
                 first_index: int = 0) -> None:
        super().__init__()
        self.columns, self.rows, self.size, self.row_height = list(columns), rows, size, row_height
        self.row_style, self.first_index = row_style, first_index
        self.header_height = row_height + 2
        self.hAlign = "LEFT"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = sum(c.width for c in self.columns)
        self.height = self.header_height + self.row_height * len(self.rows)
        return self.width, self.height

    def _rows_fitting(self, height: float) -> int:
        return max(0, int((height - self.header_height) // self.row_height))

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        n = self._rows_fitting(avail_height)
        if n < 3 and len(self.rows) > n:  # a header and a couple of rows alone: start on the next page
            return []
        return [self._table(0, n), PagedTable(self.columns, self.rows[n:], size=self.size,
                                              row_height=self.row_height, row_style=self.row_style,
                                              first_index=self.first_index + n)]

    def _table(self, start: int, stop: int) -> Table:
        body = []
        for row in self.rows[start:stop]:
            body.append([
                cell if c.numeric else "\n".join(
                    fit(line, MONO if c.mono else SANS, self.size - (1 if c.mono else 0), c.width - 6)
                    for line in cell.split("\n"))
                for c, cell in zip(self.columns, row, strict=True)
            ])
        data = [[c.title for c in self.columns], *body]
        table = Table(data, colWidths=[c.width for c in self.columns],
                      rowHeights=[self.header_height] + [self.row_height] * len(body))
        style = base_table_style(self.columns, self.size)
        for i in range(len(body)):
            if (self.first_index + start + i) % 2:
                style.append(("BACKGROUND", (0, i + 1), (-1, i + 1), BAND))
            if self.row_style is not None:
                style.extend(self.row_style(i + 1, self.rows[start + i]))
        table.setStyle(TableStyle(style))
        return table

    def drawOn(self, canvas, x, y, _sW=0):  # type: ignore[no-untyped-def, override]
        table = self._table(0, len(self.rows))
        table.wrap(self.width, self.height)
        table.drawOn(canvas, x, y, _sW)


def empty_note(text: str, style: ParagraphStyle):  # type: ignore[no-untyped-def]
    from reportlab.platypus import Paragraph

    return Paragraph(f"<i>{esc(text)}</i>", style)


# --- the canvas ----------------------------------------------------------------------------------


class PackCanvas(rl_canvas.Canvas):
    """Keeps every page until the end, then draws what needs the whole document: "page x of y",
    the header and footer, DRAFT, the contents page, and bookmarks on the right pages."""

    contents_page = 2

    def __init__(self, *args, header_left: str = "", header_right: str = "", footer_left: str = "",
                 draft: bool = False, signature_box: tuple[int, int, int, int] | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # Else every page starts in Helvetica, which is not embedded (the document template passes None).
        kwargs["initialFontName"] = kwargs.get("initialFontName") or SANS
        kwargs["initialFontSize"] = kwargs.get("initialFontSize") or 9
        super().__init__(*args, **kwargs)
        self.header_left, self.header_right, self.footer_left, self.draft = header_left, header_right, footer_left, draft
        self.signature_box = signature_box
        # (title, page, bookmark key), filled in by the document as sections are laid out
        self.sections: list[tuple[str, int, str]] = []
        self._pages: list[dict] = []  # type: ignore[type-arg]

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        bookmarks: dict[int, list[tuple[str, str]]] = {}
        for title, page, key in self.sections:
            bookmarks.setdefault(page, []).append((title, key))
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            for title, key in bookmarks.get(number, []):
                self.bookmarkPage(key, fit="XYZ", top=PAGE[1] - MARGIN)
            self._furniture(number, total)
            if number == self.contents_page:
                self._contents()
            super().showPage()
        for title, _page, key in self.sections:
            self.addOutlineEntry(title, key, level=0)
        self.showOutline()
        super().save()

    def _furniture(self, number: int, total: int) -> None:
        width, height = PAGE
        self.saveState()
        if self.draft:
            self.setFillColor(colors.HexColor("#b3261e"))
            self.setFillAlpha(0.10)
            self.setFont(BOLD, 110)
            self.translate(width / 2, height / 2)
            self.rotate(50)
            self.drawCentredString(0, -38, "DRAFT")
            self.restoreState()
            self.saveState()
        self.setFont(SANS, 7.5)
        self.setFillColor(MUTED)
        if number > 1:
            self.drawString(MARGIN, height - MARGIN + 16, self.header_left)
            self.drawRightString(width - MARGIN, height - MARGIN + 16, self.header_right)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, height - MARGIN + 12, width - MARGIN, height - MARGIN + 12)
        else:
            self._signature_caption()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, MARGIN - 10, width - MARGIN, MARGIN - 10)
        footer = self.footer_left + ("   ·   DRAFT: not yet reviewed" if self.draft else "")
        self.drawString(MARGIN, MARGIN - 22, footer)
        self.drawRightString(width - MARGIN, MARGIN - 22, f"Page {number} of {total}")
        self.restoreState()

    def _signature_caption(self) -> None:
        if self.signature_box is None:
            return
        x1, _, _, y2 = self.signature_box
        self.drawString(x1, y2 + 4, "Digital signature (certifies this document; no change allowed)")

    def _contents(self) -> None:
        width, height = PAGE
        self.saveState()
        y = height - MARGIN - 40
        self.setFont(BOLD, 14)
        self.setFillColor(NAVY)
        self.drawString(MARGIN, y, "Contents")
        y -= 30
        for title, page, key in self.sections:
            self.setFont(SANS, 10.5)
            self.setFillColor(INK)
            self.drawString(MARGIN, y, title)
            self.drawRightString(width - MARGIN, y, str(page))
            title_end = MARGIN + pdfmetrics.stringWidth(title, SANS, 10.5) + 6
            page_start = width - MARGIN - pdfmetrics.stringWidth(str(page), SANS, 10.5) - 6
            self.setStrokeColor(RULE)
            self.setDash(1, 2)
            self.line(title_end, y + 1, page_start, y + 1)
            self.setDash()
            self.linkRect("", key, (MARGIN, y - 3, width - MARGIN, y + 11), relative=0, thickness=0)
            y -= 22
        self.restoreState()
