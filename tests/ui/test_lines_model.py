"""The stored lines of a file, paged in on demand: every row arrives exactly once, in file order."""

from __future__ import annotations

import csv

from segdesk.services.importing import import_statement
from segdesk.ui import worker
from segdesk.ui.desk import Desk
from segdesk.ui.lines_model import PAGE, PENDING, LinesModel

PROFILE = """
source = "Paged Custody"
kind = "custodian"
as_of = "2026-11-20"
[columns]
account = "Account"
reference = "Ref"
asset = "Asset"
quantity = "Quantity"
"""


def test_a_file_bigger_than_a_page_shows_every_line_exactly(qtbot, qtmodeltester, db, tmp_path):
    n = PAGE * 2 + 37
    with (tmp_path / "paged.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Account", "Ref", "Asset", "Quantity"])
        for i in range(n):
            writer.writerow([f"A-{i % 3}", f"R{i}", "USD", f"{i}.{i % 100:02d}"])
    (tmp_path / "p.toml").write_text(PROFILE)
    batch = import_statement(db, tmp_path / "paged.csv", tmp_path / "p.toml", user="jane").batch_id

    model = LinesModel(Desk(db))
    model.show_batch(batch)
    qtbot.waitUntil(lambda: model.rowCount() == n, timeout=30000)
    assert model.index(0, 3).data() == PENDING  # not read until asked for
    for row in range(n):
        model.index(row, 3).data()
    qtbot.waitUntil(lambda: all(model.index(r, 3).data() != PENDING for r in range(n)), timeout=30000)
    shown = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(n)]
    # Every line exactly once; account by account, in file order within each account.
    assert sorted(int(row[3][1:]) for row in shown) == list(range(n))
    assert [row[2] for row in shown] == sorted(row[2] for row in shown)
    for account in ("A-0", "A-1", "A-2"):
        numbers = [int(row[0]) for row in shown if row[2] == account]
        assert numbers == sorted(numbers)
    by_ref = {row[3]: row for row in shown}
    assert by_ref["R0"][0] == "2"  # the file's row number (row 1 is the header)
    assert by_ref[f"R{n - 1}"][5] == f"{n - 1:,}.{(n - 1) % 100:02d}".rstrip("0").rstrip(".")
    qtmodeltester.check(model)
    qtbot.waitUntil(lambda: not worker._live, timeout=30000)


def test_switching_files_drops_the_answers_for_the_old_one(qtbot, db, tmp_path):
    (tmp_path / "p.toml").write_text(PROFILE)
    batches = []
    for name, count in (("a.csv", 3), ("b.csv", 5)):
        with (tmp_path / name).open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["Account", "Ref", "Asset", "Quantity"])
            for i in range(count):
                writer.writerow([name, f"R{i}", "USD", "1"])
        batches.append(import_statement(db, tmp_path / name, tmp_path / "p.toml", user="jane", as_of=None).batch_id)
    model = LinesModel(Desk(db))
    model.show_batch(batches[0])
    model.show_batch(batches[1])
    qtbot.waitUntil(lambda: model.rowCount() == 5, timeout=30000)
    model.index(0, 2).data()
    qtbot.waitUntil(lambda: model.index(0, 2).data() == "b.csv", timeout=30000)
    qtbot.waitUntil(lambda: not worker._live, timeout=30000)
    assert model.rowCount() == 5
