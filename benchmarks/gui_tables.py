"""Big tables in the desktop app: sorting and filtering 100k findings.

SegDesk's table models sort and filter their own list with Python key functions (exact Decimal
amounts as keys); the baseline is the usual Qt way, a QSortFilterProxyModel over the same model,
sorting by the displayed text. Both run offscreen in the same process, alternately.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_tables.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSortFilterProxyModel, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from segdesk.domain.model import Evidence  # noqa: E402
from segdesk.services.reconciling import FindingView  # noqa: E402
from segdesk.ui.findings_table import FindingsTableModel  # noqa: E402

KINDS = ["commingling", "margin_shortfall", "client_deficit", "unmapped_balance", "balance_break"]


def findings(n: int) -> list[FindingView]:
    day = dt.date(2026, 11, 20)
    return [
        FindingView(i, KINDS[i % 5], ("critical", "high", "medium")[i % 3], day, f"C-{i % 9973:06d}",
                    f"Northbridge Custody:{i % 97:07d}-01", None, Decimal(f"{(i * 7919) % 10**7}.{i % 100:02d}"),
                    f"message {i}", "open", (Evidence("north.xlsx", "Holdings", i),), ())
        for i in range(n)
    ]


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    _app = QApplication.instance() or QApplication([])
    rows = findings(args.rows)
    ours_sort, ours_filter, proxy_sort, proxy_filter = [], [], [], []
    for _ in range(args.repeat):
        model = FindingsTableModel(rows)
        ours_sort.append(timed(lambda: model.sort(6, Qt.SortOrder.DescendingOrder)))
        ours_filter.append(timed(lambda: model.set_filter(lambda f: "C-0001" in (f.sub_account or ""))))
        plain = FindingsTableModel(rows)
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(plain)
        proxy_sort.append(timed(lambda: proxy.sort(6, Qt.SortOrder.DescendingOrder)))
        proxy.setFilterKeyColumn(3)
        proxy_filter.append(timed(lambda: proxy.setFilterFixedString("C-0001")))
    print(f"{args.rows:,} findings, medians of {args.repeat}")
    print(f"  sort by amount:       SegDesk model {statistics.median(ours_sort):7.3f} s   "
          f"QSortFilterProxyModel {statistics.median(proxy_sort):7.3f} s")
    print(f"  filter by sub-account: SegDesk model {statistics.median(ours_filter):7.3f} s   "
          f"QSortFilterProxyModel {statistics.median(proxy_filter):7.3f} s")


if __name__ == "__main__":
    main()
