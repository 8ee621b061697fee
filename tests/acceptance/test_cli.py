"""The command line end to end: exit codes, one clear line per problem, never a traceback."""

from __future__ import annotations

import sqlite3

from openpyxl import load_workbook

from tests.acceptance.cli import segdesk
from tests.statements import write_northbridge_statement, write_profile


def test_init_creates_the_database_where_asked(tmp_path):
    target = tmp_path / "books" / "desk.sqlite3"
    outcome = segdesk("init", db=target)
    assert outcome.code == 0, outcome.err
    assert str(target) in outcome.out
    assert target.exists()


def test_segdesk_db_environment_variable_is_honoured(tmp_path):
    target = tmp_path / "from-env.sqlite3"
    assert segdesk("init", env={"SEGDESK_DB": str(target)}).code == 0
    assert target.exists()


def test_import_then_duplicate_then_audit_verify(tmp_path, backend):
    db = backend.url()
    statement = write_northbridge_statement(tmp_path / "nb.xlsx")
    profile = write_profile(tmp_path / "nb.toml")
    first = segdesk("import", statement, "--profile", profile, "--user", "jane", db=backend.url("jane"))
    assert first.code == 0, first.err
    assert "Imported nb.xlsx: 5 balance rows from Northbridge Custody as of 2026-11-20" in first.out
    again = segdesk("import", statement, "--profile", profile, db=db)
    assert again.code == 2
    assert again.err.startswith("segdesk: error: nb.xlsx, sheet 'Holdings': this exact file was already imported")
    assert "Traceback" not in again.err
    verified = segdesk("audit", "verify", db=db)
    assert verified.code == 0 and "Audit trail intact: 2 events" in verified.out


def test_bad_cells_exit_2_with_a_line_each(tmp_path, backend):
    db = backend.url()
    statement = write_northbridge_statement(
        tmp_path / "bad.xlsx", extra_rows=[["001", "X", "USD", "1O0", None, None], ["001", "X", "USD", "1", "?", None]]
    )
    outcome = segdesk("import", statement, "--profile", write_profile(tmp_path / "nb.toml"), db=db)
    assert outcome.code == 2
    assert outcome.err.splitlines() == [
        "segdesk: error: bad.xlsx, sheet 'Holdings', row 13, column D (Quantity): '1O0': not a number",
        "segdesk: error: bad.xlsx, sheet 'Holdings', row 14, column E (Price): '?': not a number",
    ]


def test_usage_and_missing_files_exit_2_without_traceback(tmp_path):
    db = tmp_path / "desk.sqlite3"
    cases = [
        segdesk("import", tmp_path / "missing.xlsx", "--profile", write_profile(tmp_path / "p.toml"), db=db),
        segdesk("import", tmp_path / "x.xlsx", db=db),  # no --profile
        segdesk("import", tmp_path / "x.xlsx", "--profile", tmp_path / "nope.toml", db=db),
        segdesk("import", tmp_path / "x.xlsx", "--profile", tmp_path / "p.toml", "--as-of", "20/11/2026", db=db),
        segdesk("chart", "import", tmp_path / "missing.xlsx", db=db),
        segdesk("chart", "template", tmp_path / "no-such-dir" / "chart.xlsx", db=db),
        segdesk("frobnicate", db=db),
    ]
    for outcome in cases:
        assert outcome.code == 2, outcome
        assert "Traceback" not in outcome.err
        assert "error:" in outcome.err


def test_a_bad_profile_lists_every_problem(tmp_path):
    profile = write_profile(tmp_path / "p.toml", 'kind = "bank"\nheader_row = 0\n[columns]\nqty = "Q"\n')
    outcome = segdesk("import", write_northbridge_statement(tmp_path / "nb.xlsx"), "--profile", profile,
                      db=tmp_path / "d.sqlite3")
    assert outcome.code == 2
    assert outcome.err.splitlines() == [
        "segdesk: error: p.toml: 'source' is required: the name of who sent the statement",
        "segdesk: error: p.toml: 'kind' must be one of custodian, exchange, ledger, prices, found 'bank'",
        "segdesk: error: p.toml: 'header_row' must be a row number (1, 2, ...), found 0",
        "segdesk: error: p.toml: [columns] unknown field 'qty' (expected: account, reference, asset, quantity, "
        "price, value, equity, initial_margin, maintenance_margin, as_of_column)",
    ]


def test_audit_verify_names_the_first_tampered_event(tmp_path, backend):
    db = backend.url()
    segdesk("import", write_northbridge_statement(tmp_path / "nb.xlsx"), "--profile",
            write_profile(tmp_path / "nb.toml"), db=db)
    # Someone with the database's owner rights edits an event behind SegDesk's back.
    if backend.kind == "sqlite":
        conn = sqlite3.connect(db)
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
        conn.commit()
        conn.close()
    else:
        from sqlalchemy import create_engine, text

        owner = create_engine(db)
        with owner.begin() as conn:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
        owner.dispose()
    outcome = segdesk("audit", "verify", db=db)
    assert outcome.code == 1
    assert "audit trail BROKEN at event #2" in outcome.err


def test_chart_template_import_export_round_trip(tmp_path, backend):
    db = backend.url()
    template = tmp_path / "chart.xlsx"
    assert segdesk("chart", "template", template).code == 0
    wb = load_workbook(template)
    assert wb.sheetnames == ["SubAccounts", "ExternalAccounts", "Mappings"]
    wb["SubAccounts"].append(["C-ALPHA", "Alpha Capital LP", "client", "Alpha Capital", None])
    wb["SubAccounts"].append(["P-HOUSE", "House trading", "proprietary", None, None])
    wb["ExternalAccounts"].append(["Northbridge Custody", "custodian", "0012345-01", "omnibus_client"])
    wb["Mappings"].append(["Northbridge Custody", "0012345-01", "ALPHA", "C-ALPHA", None, None])
    wb.save(template)
    outcome = segdesk("chart", "import", template, db=db)
    assert outcome.code == 0, outcome.err
    assert "sub-accounts 2 new" in outcome.out and "mappings 1 added" in outcome.out
    exported = tmp_path / "out.xlsx"
    assert segdesk("chart", "export", exported, db=db).code == 0
    back = load_workbook(exported)
    assert [list(r) for r in back["ExternalAccounts"].iter_rows(min_row=2, values_only=True)] == [
        ["Northbridge Custody", "custodian", "0012345-01", "omnibus_client"]
    ]
    assert [list(r) for r in back["Mappings"].iter_rows(min_row=2, values_only=True)] == [
        ["Northbridge Custody", "0012345-01", "ALPHA", "C-ALPHA", None, None]
    ]


def test_the_app_without_a_display_says_so_instead_of_aborting(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "segdesk", "--db", str(tmp_path / "d.sqlite3")],
                          capture_output=True, text=True, env=env, timeout=60)
    if not sys.platform.startswith("linux"):
        return
    assert done.returncode == 2
    assert done.stderr.startswith("segdesk: error: no display to open the desktop app on")


def test_a_mistyped_database_path_is_refused_not_read_as_clean(tmp_path):
    typo = tmp_path / "typo" / "desk.sqlite3"
    for args in (("audit", "verify"), ("reconcile", "--as-of", "2026-11-20"), ("chart", "export", tmp_path / "c.xlsx")):
        outcome = segdesk(*args, db=typo)
        assert outcome.code == 2, args
        assert outcome.err.startswith(f"segdesk: error: no SegDesk database at {typo}")
    assert not typo.parent.exists()


def test_db_may_follow_the_command(tmp_path):
    db = tmp_path / "desk.sqlite3"
    assert segdesk("demo", "--db", str(db)).code == 0
    outcome = segdesk("audit", "verify", "--db", str(db))
    assert outcome.code == 0 and "Audit trail intact" in outcome.out


def test_chart_files_must_be_workbooks(tmp_path):
    outcome = segdesk("chart", "export", tmp_path / "chart.csv", db=tmp_path / "d.sqlite3")
    assert outcome.code == 2 and "a chart workbook is an .xlsx file" in outcome.err


def test_an_empty_mappings_sheet_does_not_wipe_the_chart(tmp_path):
    db = tmp_path / "desk.sqlite3"
    assert segdesk("demo", db=db).code == 0
    assert segdesk("chart", "template", tmp_path / "empty.xlsx").code == 0
    outcome = segdesk("chart", "import", tmp_path / "empty.xlsx", db=db)
    assert outcome.code == 2
    assert "importing it would remove all 15 mappings in force; nothing was changed" in outcome.err


def test_sign_off_says_when_critical_findings_are_still_open(tmp_path):
    db = tmp_path / "desk.sqlite3"
    segdesk("demo", db=db)
    outcome = segdesk("sign-off", "--as-of", "2026-11-20", "--role", "preparer", "--user", "ann", db=db)
    assert outcome.code == 0
    assert outcome.out.splitlines()[-1] == "Note: 4 critical finding(s) of this run are not resolved or waived."


def test_the_text_report_gives_each_findings_reason_and_the_statement_per_currency(tmp_path):
    db = tmp_path / "desk.sqlite3"
    segdesk("demo", db=db)
    lines = segdesk("reconcile", "--as-of", "2026-11-20", db=db).out.splitlines()
    assert any(ln.startswith("  CHF") and "(12,500.5)" in ln and "(14,138.0655)" in ln for ln in lines)
    assert "       C-ALPHA BTC: statements report 2.9, the ledger 3; difference -0.1" in lines
    assert any("Amount (USD)" in ln for ln in lines)


def test_a_reader_that_stops_early_is_no_error(tmp_path):
    """`segdesk reconcile ... | head -1`: the pipe closes before SegDesk is done writing."""
    import os
    import subprocess
    import sys

    db = tmp_path / "desk.sqlite3"
    assert segdesk("demo", db=db).code == 0
    reader, writer = os.pipe()
    os.close(reader)  # nobody will read
    done = subprocess.run([sys.executable, "-m", "segdesk", "--db", str(db), "reconcile", "--as-of", "2026-11-20"],
                          stdout=writer, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    os.close(writer)
    assert done.returncode == 0 and done.stderr == ""


def test_a_prices_file_is_reported_as_price_rows(tmp_path):
    from segdesk.services.demo import DEMO_DIR

    outcome = segdesk("import", DEMO_DIR / "prices_2026-11-20.csv", "--profile", DEMO_DIR / "profiles" / "prices.toml",
                      db=tmp_path / "desk.sqlite3")
    assert outcome.code == 0, outcome.err
    assert outcome.out.startswith("Imported prices_2026-11-20.csv: 4 price rows from Acme Prices as of 2026-11-20")
