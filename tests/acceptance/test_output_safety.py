"""What a hostile statement or comment can do to the outputs: nothing. End to end through the CLI: the demo
fund, then a statement whose account, reference, asset and source fields (and a person's comments) hold
spreadsheet formulas and reportlab/HTML markup, reconciled, acted on and exported.

- every text cell of every sheet of the xlsx stays text (no formula, quote-prefixed where Excel would
  otherwise evaluate it after an edit), and the raw sheet XML holds no <f> element;
- in the PDF the same text is printed literally (pdftotext) and no link, URI, JavaScript or launch
  action is created;
- the audit chain head that `segdesk audit verify` reports when the pack is made is in the PDF's text,
  in its pack.json (`segdesk verify`), and in the xlsx Summary sheet.

tests/unit/test_pack_render.py checks the two renderers on hand-built content; this file checks that
nothing on the way from an imported file to the outputs turns text into markup or formulas.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.acceptance.cli import segdesk
from tests.acceptance.test_pack import DAY, PASS, pdftext

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
MARKUP = ["<font color=red>X</font>", "<para>", "&amp;", '<a href="javascript:alert(1)">x</a>',
          '<img src="/etc/passwd"/>']
SOURCE = '<a href="javascript:alert(2)">Src</a> =cmd'
COMMENTS = {  # finding action -> a person's comment
    "acknowledge": "+1+1 <font color=red>X</font>",
    "resolve": '=HYPERLINK("http://x","y") <a href="javascript:alert(1)">x</a> &amp; <img src="/etc/passwd"/>',
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# PDF names that make a reader go somewhere or run something.
ACTIONS = [b"/URI", b"/JavaScript", b"/JS", b"/Launch", b"/GoToR", b"/GoToE", b"/SubmitForm", b"/ImportData",
           b"/OpenAction", b"/AA", b"/RichMedia"]


def write_hostile_statement(folder: Path) -> tuple[Path, Path]:
    """A CSV statement: each hostile text once as an account and reference, once as an asset."""
    statement = folder / "hostile_2026-11-20.csv"
    with statement.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Account", "Reference", "Asset", "Quantity", "Price"])
        for text in FORMULAS + MARKUP:
            out.writerow([text, text, "USD", "100", "1"])
            out.writerow(["ACC-1", text, text, "5", ""])
    profile = folder / "hostile.toml"
    profile.write_text(
        f"source = '{SOURCE}'\nkind = \"custodian\"\nas_of = \"{DAY}\"\n\n[columns]\naccount = \"Account\"\n"
        'reference = "Reference"\nasset = "Asset"\nquantity = "Quantity"\nprice = "Price"\n', encoding="utf-8")
    return statement, profile


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo fund plus the hostile statement, reconciled, commented on and exported (PDF and xlsx);
    ``head`` is the chain head `segdesk audit verify` reported just before the export."""
    home = tmp_path_factory.mktemp("hostile")
    db = home / "fund.sqlite3"
    assert segdesk("demo", db=db).code == 0
    statement, profile = write_hostile_statement(home)
    done = segdesk("import", statement, "--profile", profile, db=db)
    assert done.code == 0, done.err
    run = json.loads(segdesk("reconcile", "--as-of", DAY, "--json", db=db).out)
    target = next(f["id"] for f in run["findings"]
                  if f["kind"] == "unmapped_balance" and f["external_account"].endswith(':=HYPERLINK("http://x","y")'))
    for action, comment in COMMENTS.items():
        acted = segdesk("finding", action, str(target), "--comment", comment, "--user", "jane", db=db)
        assert acted.code == 0, acted.err
    assert segdesk("keys", "create", "--out", home / "jane.p12", "--name", "Jane Doe", env=PASS).code == 0
    audit = segdesk("audit", "verify", db=db)
    assert audit.code == 0, audit.err
    events, head = re.fullmatch(r"Audit trail intact: (\d+) events, chain head ([0-9a-f]{64})\n", audit.out).groups()
    out = segdesk("export", "--as-of", DAY, "--out", home / "pack.pdf", "--key", home / "jane.p12",
                  "--xlsx", home / "pack.xlsx", "--user", "jane", db=db, env=PASS)
    assert out.code == 0, out.err
    return {"home": home, "events": int(events), "head": head, "finding": target}


def expected_texts() -> list[str]:
    # Leading whitespace is trimmed on import, so "\t=1" arrives as "=1": text all the same.
    return sorted({t.strip() for t in FORMULAS + MARKUP})


# --- (a) the xlsx --------------------------------------------------------------------------------


def test_no_text_cell_of_the_exported_workbook_is_or_can_become_a_formula(hostile):
    path = hostile["home"] / "pack.xlsx"
    wb = load_workbook(path)
    texts: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                    assert cell.data_type == "s", f"{ws.title}!{cell.coordinate}"
                    if cell.value.startswith(FORMULA_STARTS):
                        # and Excel keeps it text when someone edits the cell
                        assert cell.quotePrefix, f"{ws.title}!{cell.coordinate}: {cell.value!r}"
    blob = "\n".join(texts)
    for text in expected_texts():
        assert text in blob, text  # the hostile text is there, as text
    assert SOURCE in blob
    history = [[c.value for c in row] for row in wb["History"].iter_rows(min_row=2)]
    comments = [row[5] for row in history if row[0] == hostile["finding"]]
    assert comments == list(COMMENTS.values())
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name)
                assert b"<f>" not in xml and b"<f " not in xml, name
                assert not re.search(rb'<c [^>]*t="str"', xml), name  # a formula's cached text result
                for cell in re.findall(rb"<c [^>]*>(?:(?!</c>).)*HYPERLINK(?:(?!</c>).)*</c>", xml, re.S):
                    assert re.match(rb'<c [^>]*t="(inlineStr|s)"', cell), cell  # a string, by its type
        assert not any(n.startswith("xl/externalLinks/") for n in z.namelist())


# --- (b) the PDF ---------------------------------------------------------------------------------


def test_statement_text_and_comments_are_printed_literally_in_the_pdf(hostile):
    pages = pdftext(hostile["home"] / "pack.pdf")
    whole = " ".join(" ".join(pages).split())
    for text in expected_texts():
        assert text in whole, text
    for comment in COMMENTS.values():
        assert " ".join(comment.split()) in whole, comment
    assert SOURCE in whole


_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def _pdf_bodies(data: bytes) -> list[bytes]:
    """The file's objects with their streams' bytes left out, and every stream that inflates
    (object streams could hide dictionaries). A stream's compressed bytes are not searched: they
    differ from one export to the next and, being arbitrary bytes, hold "/JS" or "/AA" followed by
    a delimiter every few dozen exports."""
    bodies = [_STREAM.sub(b"stream\nendstream", data)]
    for stream in _STREAM.findall(data):
        inflated = _inflated(stream)
        if inflated is not None:
            bodies.append(inflated)
    return bodies


def _inflated(stream: bytes) -> bytes | None:
    """A stream's bytes under /FlateDecode, or /ASCII85Decode then /FlateDecode (reportlab's
    choice for page contents); None for other streams."""
    try:
        return zlib.decompress(stream)
    except zlib.error:
        pass
    text = stream.strip()
    try:
        return zlib.decompress(base64.a85decode(text[:-2] if text.endswith(b"~>") else text, adobe=False))
    except (ValueError, zlib.error):
        return None


def test_the_pdf_has_no_link_uri_javascript_or_launch_action(hostile):
    data = (hostile["home"] / "pack.pdf").read_bytes()
    for body in _pdf_bodies(data):
        for name in ACTIONS:
            # a PDF name ends at a delimiter or white space; /AA must not match a font's "/AAAAAA+Name"
            assert not re.search(re.escape(name) + rb"(?![A-Za-z0-9#+_.-])", body), name
        # The only links are the contents page's jumps to its own sections: a /Dest, never an action.
        for link in re.findall(rb"<<((?:(?!<<|>>).)*?/Subtype\s*/Link(?:(?!<<|>>).)*?)>>", body, re.S):
            assert b"/Dest" in link and b"/A " not in link and b"/A<<" not in link, link


# --- (c) the chain head --------------------------------------------------------------------------


def test_the_chain_head_at_export_is_in_the_pdf_its_facts_and_the_xlsx(hostile):
    head, events = hostile["head"], hostile["events"]
    pages = pdftext(hostile["home"] / "pack.pdf")
    assert head in "".join(pages[0].split()), "the cover shows the full chain head"
    assert f"event #{events}" in pages[0]
    assert all(f"audit chain head #{events} {head[:16]}" in page for page in pages)  # every page's footer

    checked = segdesk("verify", hostile["home"] / "pack.pdf", "--cert", hostile["home"] / "jane-ca.crt")
    assert checked.code == 0, checked.err
    assert f"Chain head:   #{events} {head}" in checked.out

    summary = {row[0].value: row[1].value for row in load_workbook(hostile["home"] / "pack.xlsx")["Summary"]
               .iter_rows(min_row=2)}
    assert summary["Audit chain head"] == f"#{events} {head}"
    audit = load_workbook(hostile["home"] / "pack.xlsx")["Audit"]
    last = [c.value for c in audit[audit.max_row]]
    assert last[0] == events and last[3] == "chain head" and last[7] == head
