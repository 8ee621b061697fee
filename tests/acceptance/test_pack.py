"""The signed audit pack, end to end through the CLI on the demo fund, checked by independent tools:
poppler's pdfsig (with the CA in an NSS database), pdftoppm, pdftotext and pdfdetach."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.acceptance.cli import segdesk

PASS = {"SEGDESK_KEY_PASSPHRASE": "correct horse battery"}
DAY = "2026-11-20"
ENTITY = "Meridian Opportunities Fund (demo) — administered by Harbour Fund Services"


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: .ci/run installs poppler-utils and libnss3-tools")
        pytest.skip(f"{name} is not installed here")
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo database, a key made by `keys create`, and a draft pack with its xlsx."""
    home = tmp_path_factory.mktemp("pack")
    db = home / "demo.sqlite3"
    assert segdesk("demo", db=db).code == 0
    made = segdesk("keys", "create", "--out", home / "jane.p12", "--name", "Jane Doé, Acme Fund Services", env=PASS)
    assert made.code == 0, made.err
    out = segdesk("export", "--as-of", DAY, "--out", home / "pack.pdf", "--key", home / "jane.p12",
                  "--xlsx", home / "pack.xlsx", "--user", "jane", db=db, env=PASS)
    assert out.code == 0, out.err
    return home


def nss_trusting(ca: Path, where: Path) -> Path:
    certutil = tool("certutil")
    where.mkdir(exist_ok=True)
    subprocess.run([certutil, "-N", "-d", f"sql:{where}", "--empty-password"], check=True, capture_output=True)
    subprocess.run([certutil, "-A", "-d", f"sql:{where}", "-n", "auditor-trusts", "-t", "C,C,C", "-i", str(ca)],
                   check=True, capture_output=True)
    return where


def pdftext(pdf: Path) -> list[str]:
    """The text of each page."""
    done = subprocess.run([tool("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True, text=True)
    return done.stdout.split("\f")[:-1]


def test_keys_create_writes_a_protected_key_and_the_ca_certificate_for_auditors(demo):
    assert (demo / "jane.p12").stat().st_size > 1000
    ca = (demo / "jane-ca.crt").read_text()
    assert ca.startswith("-----BEGIN CERTIFICATE-----")
    from cryptography.hazmat.primitives.serialization import pkcs12

    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates((demo / "jane.p12").read_bytes(), b"wrong passphrase")
    _key, cert, cas = pkcs12.load_key_and_certificates((demo / "jane.p12").read_bytes(), PASS["SEGDESK_KEY_PASSPHRASE"].encode())
    from cryptography import x509

    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert cert.subject.rfc4514_string() == "O=Acme Fund Services,CN=Jane Doé"
    assert [c.subject for c in cas] == [cert.issuer]


def test_pdfsig_reports_the_pack_validly_signed_whole_and_trusted(demo):
    nss = nss_trusting(demo / "jane-ca.crt", demo / "nss")
    done = subprocess.run([tool("pdfsig"), "-nssdir", f"sql:{nss}", str(demo / "pack.pdf")], capture_output=True,
                          text=True, check=False)
    report = done.stdout
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report
    assert "Jane Doé" in report


def test_segdesk_verify_passes_and_says_what_the_pack_is(demo):
    done = segdesk("verify", demo / "pack.pdf", "--cert", demo / "jane-ca.crt")
    assert done.code == 0, done.err
    assert "VERIFIED" in done.out
    assert "Jane Doé, Acme Fund Services" in done.out
    assert f"As of:        {DAY} (run 1) — DRAFT, not yet reviewed" in done.out
    assert "Verdict:      Segregated, with exceptions" in done.out
    assert "issued by or equal to jane-ca.crt (trusted)" in done.out
    chain = segdesk("audit", "verify", db=demo / "demo.sqlite3")
    # The pack's chain head is the head when it was exported; the export itself is the next event.
    head_in_pack = done.out.split("Chain head:   #")[1].split()[1]
    assert len(head_in_pack) == 64 and chain.code == 0


def test_verify_without_a_trusted_certificate_still_checks_integrity_and_shows_the_fingerprint(demo):
    done = segdesk("verify", demo / "pack.pdf")
    assert done.code == 0
    assert "not checked against a trusted one" in done.out
    assert "Fingerprint:" in done.out


def test_verify_refuses_a_certificate_the_pack_was_not_signed_under(demo, tmp_path):
    other = segdesk("keys", "create", "--out", tmp_path / "mallory.p12", "--name", "Mallory", env=PASS)
    assert other.code == 0
    done = segdesk("verify", demo / "pack.pdf", "--cert", tmp_path / "mallory-ca.crt")
    assert done.code == 1
    assert "not mallory-ca.crt and was not issued by it" in done.err


def _tampered(demo: Path, tmp_path: Path, how: str) -> Path:
    data = (demo / "pack.pdf").read_bytes()
    if how == "flipped byte":
        # A byte inside the first page's content stream, well inside the signed range.
        at = data.index(b"stream", data.index(b"/Contents")) + 40
        data = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
    elif how == "incremental update":
        from pyhanko.pdf_utils import generic
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

        writer = IncrementalPdfFileWriter(BytesIO(data))
        info = writer.trailer["/Info"].get_object() if "/Info" in writer.trailer else None
        if info is not None:
            info[generic.NameObject("/Title")] = generic.TextStringObject("Altered after signing")
            writer.update_container(info)
        else:
            writer.root[generic.NameObject("/Lang")] = generic.TextStringObject("xx")
            writer.update_root()
        out = BytesIO()
        writer.write(out)
        data = out.getvalue()
    else:
        data += b"\n% appended after the end\n"
    path = tmp_path / f"{how.replace(' ', '-')}.pdf"
    path.write_bytes(data)
    return path


TAMPER_REASONS = {
    "flipped byte": ["the signed content was changed after signing (the digest does not match)"],
    "incremental update": [  # the document information's title changed in an update
        "the signature does not cover the whole file: bytes were added after the signed part (an update appended "
        "after signing)",
        "the document was changed after signing: an update that leaves the pages as they were (document "
        "information or validation data) was added",
    ],
    "bytes after EOF": [
        "the signature does not cover the whole file: bytes were added after the signed part (an update appended "
        "after signing)",
    ],
}


@pytest.mark.parametrize("how", ["flipped byte", "incremental update", "bytes after EOF"])
def test_verify_fails_on_every_kind_of_tampering(demo, tmp_path, how):
    """Each kind of tampering is named in plain words; the certificate, judged on its own, is not
    wrongly reported as someone else's."""
    done = segdesk("verify", _tampered(demo, tmp_path, how), "--cert", demo / "jane-ca.crt")
    assert done.code == 1, done.out
    lines = done.err.splitlines()
    assert lines[0].endswith("NOT VERIFIED")
    assert [line.removeprefix("  - ") for line in lines[1:]] == TAMPER_REASONS[how]


def test_verify_fails_cleanly_on_files_that_are_not_packs(demo, tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "junk.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    import reportlab.pdfgen.canvas

    canvas = reportlab.pdfgen.canvas.Canvas(str(tmp_path / "unsigned.pdf"))
    canvas.drawString(100, 700, "not signed")
    canvas.save()
    for name, reason in (("empty.pdf", "not a PDF"), ("junk.pdf", "cannot"), ("unsigned.pdf", "no signature"),
                         ("missing.pdf", "cannot be read")):
        done = segdesk("verify", tmp_path / name)
        assert done.code == 1, name
        assert reason in done.err, (name, done.err)
        assert "Traceback" not in done.err


def test_pdf_pages_render_and_carry_the_figures(demo):
    pdftoppm = tool("pdftoppm")
    from PIL import Image, ImageStat

    subprocess.run([pdftoppm, "-r", "30", "-png", str(demo / "pack.pdf"), str(demo / "page")], check=True)
    pages = sorted(demo.glob("page-*.png"))
    assert len(pages) >= 8  # cover, contents, statement, findings, schedule, chart, sources, audit
    for png in pages:
        stat = ImageStat.Stat(Image.open(png).convert("L"))
        assert stat.stddev[0] > 5, f"{png.name} looks blank"
    text = pdftext(demo / "pack.pdf")
    assert len(text) == len(pages)
    cover = text[0]
    assert ENTITY in " ".join(cover.split())
    assert "4,721,104.7845" in cover  # requirement
    assert "4,983,104.6845" in cover  # resources
    assert "261,999.9" in cover  # excess
    assert "11,997.6" in cover  # undermargined
    assert all("DRAFT" in page for page in text)
    assert all(f"Page {i} of {len(text)}" in page for i, page in enumerate(text, start=1))
    contents = text[1]
    for section in ("Segregation statement", "Findings", "Sub-account schedule", "Designations and mappings in force",
                    "Source files", "Audit trail excerpt"):
        assert section in contents
    whole = "\n".join(text)
    assert "(14,138.0655)" in whole  # a negative, in parentheses
    assert "Délta Fonds" in whole  # accented names survive the embedded font


def test_every_source_file_is_attached_with_its_own_bytes(demo):
    done = subprocess.run([tool("pdfdetach"), "-list", str(demo / "pack.pdf")], capture_output=True, text=True,
                          check=True)
    names = {line.split(": ", 1)[1] for line in done.stdout.splitlines()[1:]}
    assert names == {"northbridge_2026-11-20.xlsx", "helix_2026-11-20.csv", "adler_2026-11-19.csv",
                     "ledger_2026-11-20.csv", "prices_2026-11-20.csv", "pack.json"}
    demo_dir = Path(__file__).resolve().parents[2] / "resources" / "demo"
    out = demo / "detached"
    out.mkdir()
    subprocess.run([tool("pdfdetach"), "-saveall", "-o", str(out), str(demo / "pack.pdf")], check=True)
    for name in names - {"pack.json"}:
        assert hashlib.sha256((out / name).read_bytes()).digest() == hashlib.sha256((demo_dir / name).read_bytes()).digest()


def test_the_xlsx_has_the_same_figures_as_numbers_with_frozen_headers_and_filters(demo):
    wb = load_workbook(demo / "pack.xlsx")
    assert wb.sheetnames == ["Summary", "Statement", "Findings", "Evidence", "History", "SubAccounts", "Accounts",
                             "Mappings", "Sources", "Audit"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref.startswith("A1:")
    summary = {row[0].value: row[1].value for row in wb["Summary"].iter_rows(min_row=2)}
    assert str(summary["Requirement (USD)"]) == "4721104.7845"
    findings = wb["Findings"]
    assert findings.max_row == 11
    amounts = [row[6].value for row in findings.iter_rows(min_row=2)]
    assert all(isinstance(a, (int, float)) for a in amounts)
    subs = {row[0].value: row for row in wb["SubAccounts"].iter_rows(min_row=2)}
    assert subs["C-BETA"][4].value == -45000.1
    assert subs["C-BETA"][4].number_format.startswith("#,##0")


def test_an_approved_run_exports_without_draft(demo, tmp_path):
    db = tmp_path / "approved.sqlite3"
    shutil.copy(demo / "demo.sqlite3", db)
    assert segdesk("sign-off", "--as-of", DAY, "--role", "preparer", "--user", "jane", db=db).code == 0
    assert segdesk("sign-off", "--as-of", DAY, "--role", "reviewer", "--user", "rob", "--comment", "Checked",
                   db=db).code == 0
    done = segdesk("export", "--as-of", DAY, "--out", tmp_path / "final.pdf", "--key", demo / "jane.p12", db=db,
                   env=PASS)
    assert done.code == 0, done.err
    assert "approved" in done.out
    text = pdftext(tmp_path / "final.pdf")
    assert not any("DRAFT" in page for page in text)
    assert "rob" in text[0] and "Checked" in text[0]
    assert segdesk("verify", tmp_path / "final.pdf", "--cert", demo / "jane-ca.crt").code == 0


def test_export_refusals_are_clear_and_write_nothing(demo, tmp_path):
    db = demo / "demo.sqlite3"
    wrong = segdesk("export", "--as-of", DAY, "--out", tmp_path / "x.pdf", "--key", demo / "jane.p12", db=db,
                    env={"SEGDESK_KEY_PASSPHRASE": "not it at all"})
    assert wrong.code == 2
    assert "jane.p12: the passphrase is wrong" in wrong.err
    no_run = segdesk("export", "--as-of", "2026-11-19", "--out", tmp_path / "x.pdf", "--key", demo / "jane.p12",
                     db=db, env=PASS)
    assert no_run.code == 2
    assert "no reconciliation for 2026-11-19 yet" in no_run.err
    bad_name = segdesk("export", "--as-of", DAY, "--out", tmp_path / "x.txt", "--key", demo / "jane.p12", db=db,
                       env=PASS)
    assert bad_name.code == 2 and "must end in .pdf" in bad_name.err
    no_key = segdesk("export", "--as-of", DAY, "--out", tmp_path / "x.pdf", "--key", tmp_path / "none.p12", db=db,
                     env=PASS)
    assert no_key.code == 2 and "no such key file" in no_key.err
    assert not list(tmp_path.iterdir())


def test_an_existing_pack_is_replaced_only_on_purpose(demo, tmp_path):
    db = demo / "demo.sqlite3"
    target = tmp_path / "sent.pdf"
    target.write_bytes(b"%PDF-1.7 the pack already with the auditor")
    again = segdesk("export", "--as-of", DAY, "--out", target, "--key", demo / "jane.p12", db=db, env=PASS)
    assert again.code == 2 and "already exists" in again.err
    assert target.read_bytes() == b"%PDF-1.7 the pack already with the auditor"
    replaced = segdesk("export", "--as-of", DAY, "--out", target, "--key", demo / "jane.p12", "--replace", db=db,
                       env=PASS)
    assert replaced.code == 0, replaced.err
    assert segdesk("verify", target).code == 0


def test_keys_create_never_overwrites_and_needs_a_real_passphrase(demo, tmp_path):
    again = segdesk("keys", "create", "--out", demo / "jane.p12", "--name", "Jane Doe", env=PASS)
    assert again.code == 2 and "already exists" in again.err
    short = segdesk("keys", "create", "--out", tmp_path / "k.p12", "--name", "Jane Doe",
                    env={"SEGDESK_KEY_PASSPHRASE": "short"})
    assert short.code == 2 and "at least 8 characters" in short.err
    env = {k: v for k, v in os.environ.items() if k != "SEGDESK_KEY_PASSPHRASE"}
    done = subprocess.run([*segdesk_argv(), "keys", "create", "--out", str(tmp_path / "k.p12"), "--name", "Jane"],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60, check=False)
    assert done.returncode == 2 and "SEGDESK_KEY_PASSPHRASE" in done.stderr
    assert not list(tmp_path.iterdir())


def segdesk_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "segdesk"]


def test_a_firms_own_p12_signs_too(demo, tmp_path):
    """A certificate the firm already has (self-issued here, digitalSignature only) works as a key."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Acme Fund Services Signing")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    (tmp_path / "firm.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"firm", key, cert, None, serialization.BestAvailableEncryption(b"firm passphrase")))
    (tmp_path / "firm.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    done = segdesk("export", "--as-of", DAY, "--out", tmp_path / "firm-pack.pdf", "--key", tmp_path / "firm.p12",
                   db=demo / "demo.sqlite3", env={"SEGDESK_KEY_PASSPHRASE": "firm passphrase"})
    assert done.code == 0, done.err
    checked = segdesk("verify", tmp_path / "firm-pack.pdf", "--cert", tmp_path / "firm.crt")
    assert checked.code == 0, checked.err
    assert "Acme Fund Services Signing" in checked.out


def test_every_font_in_the_pack_is_embedded(demo):
    done = subprocess.run([tool("pdffonts"), str(demo / "pack.pdf")], capture_output=True, text=True, check=True)
    rows = done.stdout.splitlines()[2:]
    assert rows, done.stdout
    assert all(row.split()[-5] == "yes" for row in rows), done.stdout  # the "emb" column


def test_the_xlsx_keeps_dates_as_dates_and_ids_without_decimals(demo):
    import datetime as dt

    wb = load_workbook(demo / "pack.xlsx")
    summary = {row[0].value: row[1] for row in wb["Summary"].iter_rows(min_row=2)}
    assert summary["As of"].value == dt.datetime(2026, 11, 20) and summary["As of"].number_format == "yyyy-mm-dd"
    assert summary["Run"].value == 1 and summary["Run"].number_format == "0"
    when = wb["Audit"].cell(row=2, column=2)
    assert isinstance(when.value, dt.datetime)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_the_key_stays_private_while_the_pack_and_ca_certificate_can_be_shared(demo):
    mode = {name: (demo / name).stat().st_mode & 0o777 for name in ("jane.p12", "jane-ca.crt", "pack.pdf")}
    assert mode["jane.p12"] == 0o600
    umask = os.umask(0o022)
    os.umask(umask)
    assert mode["jane-ca.crt"] == mode["pack.pdf"] == 0o666 & ~umask
