"""The day's work end to end through the real CLI: import, reconcile, work findings, four-eyes sign-off."""

from __future__ import annotations

import json

from openpyxl import Workbook

from tests.acceptance.cli import segdesk
from tests.statements import write_profile

CHART_ROWS = {
    "SubAccounts": [["code", "name", "kind", "client", "base_currency"],
                    ["C-ALPHA", "Alpha Capital", "client", "Alpha Capital LP", None],
                    ["C-GAMMA", "Gamma Trading", "client", "Gamma Trading Ltd", None],
                    ["P-HOUSE", "House", "proprietary", None, None]],
    "ExternalAccounts": [["source", "source_kind", "account", "designation"],
                         ["Northbridge Custody", "custodian", "0012345-01", "omnibus_client"],
                         ["Helix Exchange", "exchange", "gamma-sub", "client_segregated"]],
    "Mappings": [["source", "account", "reference", "sub_account", "valid_from", "valid_to"],
                 ["Northbridge Custody", "0012345-01", "ALPHA", "C-ALPHA", None, None],
                 ["Northbridge Custody", "0012345-01", "HOUSE", "P-HOUSE", None, None],
                 ["Helix Exchange", "gamma-sub", None, "C-GAMMA", None, None]],
}
CUSTODY_PROFILE = """
source = "Northbridge Custody"
kind = "custodian"
as_of = "2026-11-20"
[columns]
account = "Account No."
reference = "Client Ref"
asset = "Asset"
quantity = "Quantity"
"""
EXCHANGE_PROFILE = """
source = "Helix Exchange"
kind = "exchange"
as_of = "2026-11-20"
[columns]
account = "account"
asset = "asset"
quantity = "balance"
equity = "equity"
initial_margin = "im"
maintenance_margin = "mm"
"""


def _setup(tmp_path, backend):
    desk = backend.url()
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in CHART_ROWS.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(tmp_path / "chart.xlsx")
    assert segdesk("chart", "import", tmp_path / "chart.xlsx", db=desk).code == 0
    custody = Workbook()
    ws = custody.active
    ws.title = "Holdings"
    ws.append(["Account No.", "Client Ref", "Asset", "Quantity"])
    ws.append(["0012345-01", "ALPHA", "USD", "1,000,000.00"])
    ws.append(["0012345-01", "HOUSE", "USD", "75,000.00"])
    custody.save(tmp_path / "custody.xlsx")
    (tmp_path / "helix.csv").write_text("account,asset,balance,equity,im,mm\ngamma-sub,USD,18000,18000,60000,30000\n",
                                        encoding="utf-8")
    for file, profile in (("custody.xlsx", CUSTODY_PROFILE), ("helix.csv", EXCHANGE_PROFILE)):
        profile_path = write_profile(tmp_path / f"{file}.toml", profile)
        outcome = segdesk("import", tmp_path / file, "--profile", profile_path, db=desk)
        assert outcome.code == 0, outcome.err
    return backend


def test_a_day_from_import_to_approval(tmp_path, backend):
    """On PostgreSQL each person is their own login: four eyes are two logins there."""
    _setup(tmp_path, backend)
    desk, ann, bob = backend.url(), backend.url("ann"), backend.url("bob")
    first = segdesk("reconcile", "--as-of", "2026-11-20", "--json", db=desk)
    assert first.code == 1  # critical findings are open
    report = json.loads(first.out)
    assert report["segregation"] == {
        "requirement": "1018000", "resources": "1093000", "excess": "75000", "undermargined": "12000",
    }
    assert report["sub_accounts"] == [
        {"code": "C-ALPHA", "kind": "client", "equity": "1000000"},
        {"code": "C-GAMMA", "kind": "client", "equity": "18000"},
        {"code": "P-HOUSE", "kind": "proprietary", "equity": "75000"},
    ]
    by_kind = {(f["kind"], f["sub_account"]): f for f in report["findings"]}
    shortfall = by_kind[("margin_shortfall", "C-GAMMA")]
    assert (shortfall["severity"], shortfall["amount"], shortfall["external_account"], shortfall["asset"]) == (
        "critical", "12000", "Helix Exchange:gamma-sub", None,
    )
    assert shortfall["evidence"] == [{"file": "helix.csv", "sheet": None, "row": 2}]
    house = by_kind[("commingling", "P-HOUSE")]
    assert (house["severity"], house["amount"], house["evidence"]) == (
        "high", "75000", [{"file": "custody.xlsx", "sheet": "Holdings", "row": 3}],
    )
    both = by_kind[("commingling", None)]
    assert (both["severity"], both["amount"]) == ("critical", "75000")

    for f in report["findings"]:
        action = "acknowledge" if f["kind"] == "margin_shortfall" else "resolve"
        done = segdesk("finding", action, str(f["id"]), "--comment", "Handled with the desk", "--user", "ann", db=ann)
        assert done.code == 0, done.err

    # Re-running with nothing changed gives the same run; statuses as left.
    again = json.loads(segdesk("reconcile", "--as-of", "2026-11-20", "--json", db=desk).out)
    assert again["run_id"] == report["run_id"]
    assert {f["kind"]: f["status"] for f in again["findings"]}["margin_shortfall"] == "acknowledged"

    assert segdesk("sign-off", "--as-of", "2026-11-20", "--role", "preparer", "--user", "ann", db=ann).code == 0
    same = segdesk("sign-off", "--as-of", "2026-11-20", "--role", "reviewer", "--user", "ann", db=ann)
    assert same.code == 2 and "a different person must review it" in same.err
    assert segdesk("sign-off", "--as-of", "2026-11-20", "--role", "reviewer", "--user", "bob", db=bob).code == 0

    frozen = segdesk("finding", "resolve", str(shortfall["id"]), "--comment", "late", "--user", "ann", db=ann)
    assert frozen.code == 2 and "approved and frozen" in frozen.err

    # A corrected exchange statement arrives: a new run; the approved one stays as it was.
    (tmp_path / "helix2.csv").write_text("account,asset,balance,equity,im,mm\ngamma-sub,USD,25000,25000,60000,30000\n",
                                         encoding="utf-8")
    assert segdesk("import", tmp_path / "helix2.csv", "--profile", tmp_path / "helix.csv.toml", db=desk).code == 0
    rerun = json.loads(segdesk("reconcile", "--as-of", "2026-11-20", "--json", db=desk).out)
    assert rerun["run_id"] != report["run_id"]
    assert rerun["sign_offs"] == {}
    statuses = {(f["kind"], f["sub_account"]): (f["status"], f["amount"]) for f in rerun["findings"]}
    assert statuses[("margin_shortfall", "C-GAMMA")] == ("acknowledged", "5000")
    assert statuses[("commingling", "P-HOUSE")] == ("resolved", "75000")
    assert segdesk("audit", "verify", db=desk).code == 0


def test_summary_table_for_people(tmp_path, backend):
    _setup(tmp_path, backend)
    desk = backend.url()
    outcome = segdesk("reconcile", "--as-of", "2026-11-20", db=desk)
    assert outcome.code == 1
    lines = outcome.out.splitlines()
    assert lines[0].startswith("Reconciliation 2026-11-20 (run 1, not signed)")
    assert "  Requirement                       1,018,000  USD" in lines
    assert any("margin_shortfall" in ln and "Helix Exchange:gamma-sub" in ln and "12,000" in ln for ln in lines)
    assert lines[-1] == "3 finding(s); 2 critical still open."


def test_sign_off_before_reconciling_or_after_a_change_is_refused(tmp_path, backend):
    _setup(tmp_path, backend)
    desk, ann = backend.url(), backend.url("ann")
    early = segdesk("sign-off", "--as-of", "2026-11-20", "--role", "preparer", "--user", "ann", db=ann)
    assert early.code == 2 and "run `segdesk reconcile --as-of 2026-11-20` first" in early.err
    segdesk("reconcile", "--as-of", "2026-11-20", db=desk)
    (tmp_path / "helix2.csv").write_text("account,asset,balance,equity,im,mm\ngamma-sub,USD,1,1,0,0\n", encoding="utf-8")
    segdesk("import", tmp_path / "helix2.csv", "--profile", tmp_path / "helix.csv.toml", db=desk)
    stale = segdesk("sign-off", "--as-of", "2026-11-20", "--role", "preparer", "--user", "ann", db=ann)
    assert stale.code == 2 and "changed since run 1" in stale.err
    unknown = segdesk("finding", "waive", "999", "--comment", "x", db=desk)
    assert unknown.code == 2 and unknown.err.strip() == "segdesk: error: no finding 999"
