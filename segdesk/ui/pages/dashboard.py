"""The dashboard: pick the as-of date, see the segregation figures with a clear status, the findings
by severity and kind, and excess or shortfall over recent days."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QValueAxis,
)
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from segdesk.domain.money import grouped, plain
from segdesk.services.demo import open_demo
from segdesk.services.overview import (
    DayFigures,
    day_history,
    list_imports,
    statement_days,
)
from segdesk.services.reconciling import RunView, current_run, latest_day, reconcile
from segdesk.ui.desk import Desk, show_error
from segdesk.ui.widgets import FigureCard, heading, page_layout

GOOD, WARN, BAD = "#1e7b45", "#b26a00", "#b3261e"
SEVERITIES = ("critical", "high", "medium")


def money(d: Decimal | str) -> str:
    return grouped(d if isinstance(d, str) else plain(d))


GETTING_STARTED = """
<h3>Getting started</h3>
<ol style="margin-left: -20px">
<li><b>Set up the chart.</b> On the Accounts page, import your chart workbook (sub-accounts,
external accounts and how lines map to them), or write one from the template there.</li>
<li><b>Import the day's statements.</b> File &rarr; Import statements (Ctrl+I), or drop the files on
this window. The wizard learns each sender's layout once and remembers it.</li>
<li><b>Reconcile.</b> Pick the as-of date at the top and press Reconcile.</li>
<li><b>Work the findings.</b> On the Findings page, acknowledge, resolve or waive each one, with a
comment saying why.</li>
<li><b>Sign off.</b> A preparer signs the day, then a different person approves it as reviewer.</li>
<li><b>Export the signed audit pack</b> for your auditor, on the Sign-off &amp; export page.</li>
</ol>
<p>New to SegDesk? <b>Load the demo fund</b> above to explore a reconciled day first.</p>
"""


class DashboardPage(QWidget):
    import_requested = Signal(list)
    demo_opened = Signal(object)  # the demo's own Database: the window moves to it

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.run: RunView | None = None
        layout = page_layout(self)

        top = QHBoxLayout()
        top.addWidget(heading("Segregation"))
        top.addStretch(1)
        top.addWidget(QLabel("As of"))
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd MMM yyyy")
        self.date.setDate(QDate.currentDate())
        self.date.dateChanged.connect(self._date_picked)
        top.addWidget(self.date)
        self.reconcile_button = QPushButton("Reconcile")
        self.reconcile_button.setToolTip("Run every check for this date on what is imported now")
        self.reconcile_button.clicked.connect(self.reconcile)
        top.addWidget(self.reconcile_button)
        layout.addLayout(top)

        self.banner = QFrame()
        self.banner.setObjectName("banner")
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        banner_row = QHBoxLayout(self.banner)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        banner_row.addWidget(self.banner_text, 1)
        self.demo_button = QPushButton("Load the demo fund")
        self.demo_button.clicked.connect(self.load_demo)
        self.import_button = QPushButton("Import statements…")
        self.import_button.clicked.connect(lambda: self.import_requested.emit([]))
        banner_row.addWidget(self.demo_button)
        banner_row.addWidget(self.import_button)
        layout.addWidget(self.banner)

        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        cards = QGridLayout()
        self.cards = {key: FigureCard(caption) for key, caption in (
            ("requirement", "Requirement"), ("resources", "Resources"), ("excess", "Excess"),
            ("undermargined", "Undermargined"))}
        for i, card in enumerate(self.cards.values()):
            cards.addWidget(card, 0, i)
        layout.addLayout(cards)

        middle = QHBoxLayout()
        self.counts = QLabel()
        self.counts.setTextFormat(Qt.TextFormat.RichText)
        self.counts.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.counts.setMinimumWidth(320)
        self.counts.setMaximumWidth(460)
        self.counts.setWordWrap(True)
        middle.addWidget(self.counts)
        self.chart = QChart()
        if self.palette().color(QPalette.ColorRole.Window).lightness() < 128:  # follow a dark system theme
            self.chart.setTheme(QChart.ChartTheme.ChartThemeDark)
        self.chart.setTitle("Excess (shortfall) by day")
        self.chart.legend().hide()
        self.chart_view = QChartView(self.chart)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(240)
        middle.addWidget(self.chart_view, 1)
        layout.addLayout(middle, 1)

        desk.changed.connect(self.reload)
        desk.as_of_changed.connect(self._as_of_from_desk)

    # --- loading ---------------------------------------------------------------------------------

    def reload(self) -> None:
        day = self.desk.as_of
        db = self.desk.db

        def work(_progress):  # type: ignore[no-untyped-def]
            imports = list_imports(db)
            run = current_run(db, day) if day else latest_day(db)
            if day is None and run is None:
                days = statement_days(db)
                chosen = days[0] if days else None
            else:
                chosen = day or (run.as_of if run else None)
            return imports, run, chosen, day_history(db)

        self.desk.run(work, self._show, parent=self, what="Loading the dashboard")

    def _show(self, loaded) -> None:  # type: ignore[no-untyped-def]
        imports, run, chosen, history = loaded
        self.run = run
        if chosen is not None and self.desk.as_of is None:
            self.desk.set_as_of(chosen)
        if self.desk.as_of is not None:
            self.date.blockSignals(True)
            self.date.setDate(QDate(self.desk.as_of.year, self.desk.as_of.month, self.desk.as_of.day))
            self.date.blockSignals(False)
        empty = not imports
        self.banner.setVisible(empty or run is None)
        self.demo_button.setVisible(empty)
        if empty:
            self.banner_text.setText("<b>This database is empty.</b> Load the demo fund to explore a reconciled day "
                                     "(it opens in a database of its own; this one stays empty), or import your "
                                     "statements (you can also drop files on the window).")
        elif run is None:
            self.banner_text.setText(f"<b>{self.desk.as_of:%d %B %Y} is not reconciled yet.</b> Press Reconcile to "
                                     "run every check on the statements imported for it.")
            self.import_button.setVisible(False)
        self._show_run(run)
        self._show_history(history)
        if empty:
            self.counts.setText(GETTING_STARTED)

    def _show_run(self, run: RunView | None) -> None:
        if run is None:
            self.status.setText("")
            for card in self.cards.values():
                card.set_figure("—")
            self.counts.setText("")
            return
        seg = run.results["segregation"]
        base = run.base_currency
        excess = Decimal(seg["excess"])
        critical = len(run.open_critical)
        if excess < 0:
            colour, verdict = BAD, "Segregation shortfall"
        elif critical:
            colour, verdict = WARN, f"Segregated, with {critical} critical finding(s) open"
        else:
            colour, verdict = GOOD, "Client money segregated"
        state = ("approved by " + run.sign_offs["reviewer"].user if run.approved else
                 ("prepared by " + run.sign_offs["preparer"].user + ", awaiting review") if "preparer" in run.sign_offs
                 else "not signed off")
        self.status.setText(f"<span style='color:{colour}; font-size:13pt'><b>● {verdict}</b></span>"
                            f" &nbsp; run {run.run_id} for {run.as_of:%d %B %Y}, {state}")
        self.cards["requirement"].set_figure(money(seg["requirement"]), f"{base} · client equity, deficits not netted")
        self.cards["resources"].set_figure(money(seg["resources"]), f"{base} · of which buffer {money(seg['buffer'])}")
        self.cards["excess"].caption.setText("Excess" if excess >= 0 else "Shortfall")
        self.cards["excess"].set_figure(money(seg["excess"]), base, GOOD if excess >= 0 else BAD)
        under = Decimal(seg["undermargined"])
        self.cards["undermargined"].set_figure(money(seg["undermargined"]), f"{base} · client margin not covered",
                                               BAD if under > 0 else None)
        by_severity = Counter(f.severity for f in run.findings if f.unresolved)
        by_kind = Counter(f.kind for f in run.findings if f.unresolved)
        colours = {"critical": BAD, "high": WARN, "medium": "#5f6368"}
        rows = "".join(f"<tr><td style='color:{colours[s]}'><b>{s}</b></td><td align='right'>{by_severity.get(s, 0)}</td></tr>"
                       for s in SEVERITIES)
        kinds = "".join(f"<tr><td>{k.replace('_', ' ')}</td><td align='right'>{n}</td></tr>"
                        for k, n in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])))
        done = sum(1 for f in run.findings if not f.unresolved)
        self.counts.setText(
            f"<p><b>Findings still open: {sum(by_severity.values())}</b> ({done} resolved or waived)</p>"
            f"<table cellspacing='0' cellpadding='3'>{rows}</table>"
            f"<p><b>By kind</b></p><table cellspacing='0' cellpadding='3'>{kinds or '<tr><td>none</td></tr>'}</table>"
        )

    def _show_history(self, history: list[DayFigures]) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        if not history:
            self.chart.setTitle("Excess (shortfall) by day — no reconciled days yet")
            return
        base = history[-1].base_currency
        self.chart.setTitle(f"Excess (shortfall) by day, {base}")
        positive, negative = QBarSet("Excess"), QBarSet("Shortfall")
        positive.setColor(QColor(GOOD))
        negative.setColor(QColor(BAD))
        for day in history:
            # A chart is a picture: float is fine here, the figures themselves stay exact.
            value = float(day.excess)
            positive.append(value if value >= 0 else 0.0)
            negative.append(value if value < 0 else 0.0)
        series = QBarSeries()
        series.append(positive)
        series.append(negative)
        self.chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append([f"{d.as_of:%d %b}" for d in history])
        self.chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(axis_x)
        axis_y = QValueAxis()
        axis_y.setLabelFormat("%.0f")
        low = min(0.0, *(float(d.excess) for d in history))
        high = max(0.0, *(float(d.excess) for d in history))
        axis_y.setRange(low * 1.1, high * 1.1 if high else 1.0)
        axis_y.applyNiceNumbers()  # round ticks: 0, 100,000, 200,000 …
        axis_y.setLabelFormat("%'.0f")  # with the locale's thousands separator
        self.chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_y)

    # --- acting ----------------------------------------------------------------------------------

    def _date_picked(self, date: QDate) -> None:
        self.desk.set_as_of(dt.date(date.year(), date.month(), date.day()))

    def _as_of_from_desk(self, _day: object) -> None:
        self.reload()

    def reconcile(self) -> None:
        day = self.desk.as_of
        if day is None:
            return
        db, user = self.desk.db, self.desk.user
        self.reconcile_button.setEnabled(False)

        def done(run: RunView) -> None:
            self.reconcile_button.setEnabled(True)
            self.desk.status.emit(f"Reconciled {run.as_of}: {len(run.findings)} finding(s), run {run.run_id}"
                                  + (" (nothing had changed)" if run.reused else ""))
            self.desk.changed.emit()

        job = self.desk.run(lambda _p: reconcile(db, day, user=user), done, parent=self,
                            what=f"Reconciling {day}")
        job.settled.connect(lambda: self.reconcile_button.setEnabled(True))

    def load_demo(self) -> None:
        """The demo fund, in a database of its own (demo.sqlite3 beside this one): the window
        moves to it, and this database stays as it was."""
        db = self.desk.db
        self.demo_button.setEnabled(False)

        def done(opened) -> None:  # type: ignore[no-untyped-def]
            demo_db, result = opened
            self.demo_button.setEnabled(True)
            if demo_db is not db:
                self.demo_opened.emit(demo_db)
                return
            if result.run is not None:
                self.desk.set_as_of(result.run.as_of)
            self.desk.status.emit("Demo fund loaded and reconciled")
            self.desk.changed.emit()

        def failed(exc: BaseException) -> None:
            self.demo_button.setEnabled(True)
            show_error(self, "Loading the demo fund did not complete", exc)

        self.desk.run(lambda _p: open_demo(db), done, parent=self, what="Loading the demo fund", on_failure=failed)
