"""The Accounts page's Settings tab: the base currency every run is valued in, and per-asset
tolerances between custodian and ledger quantities (what `segdesk settings` sets)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from segdesk.domain.money import plain
from segdesk.services.settings import (
    FirmSettings,
    firm_settings,
    set_base_currency,
    set_tolerance,
)
from segdesk.ui.desk import Desk, show_error


class SettingsTab(QWidget):
    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.current: FirmSettings | None = None
        layout = QVBoxLayout(self)

        base_box = QGroupBox("Base currency")
        base_form = QFormLayout(base_box)
        self.base = QLineEdit()
        self.base.setMaximumWidth(120)
        self.base_button = QPushButton("Apply")
        self.base_button.clicked.connect(self.apply_base)
        row = QHBoxLayout()
        row.addWidget(self.base)
        row.addWidget(self.base_button)
        row.addStretch(1)
        base_form.addRow("Value everything in", row)
        note = QLabel("Prices must be quoted in this currency. The next reconcile of a day uses it; approved "
                      "runs stay as they were.")
        note.setWordWrap(True)
        note.setStyleSheet("color: gray")
        base_form.addRow(note)
        layout.addWidget(base_box)

        tol_box = QGroupBox("Tolerances: how far custodian and ledger quantities may differ before a balance break")
        tol_layout = QVBoxLayout(tol_box)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Asset", "Tolerance (units of the asset)"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._pick)
        tol_layout.addWidget(self.table, 1)
        self.empty = QLabel("No tolerances: any difference from the ledger is a balance break.")
        self.empty.setStyleSheet("color: gray")
        tol_layout.addWidget(self.empty)
        edit = QHBoxLayout()
        self.asset = QLineEdit()
        self.asset.setPlaceholderText("Asset, e.g. BTC")
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("Tolerance, e.g. 0.0001 (0 removes it)")
        self.amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.tolerance_button = QPushButton("Set tolerance")
        self.tolerance_button.clicked.connect(self.apply_tolerance)
        for widget in (self.asset, self.amount, self.tolerance_button):
            edit.addWidget(widget)
        tol_layout.addLayout(edit)
        layout.addWidget(tol_box, 1)

    def reload(self) -> None:
        db = self.desk.db
        self.desk.run(lambda _p: firm_settings(db), self.show_settings, parent=self, what="Loading the settings")

    def show_settings(self, current: FirmSettings) -> None:
        self.current = current
        self.base.setText(current.base_currency)
        self.table.setRowCount(len(current.tolerances))
        for i, (asset, amount) in enumerate(current.tolerances.items()):
            self.table.setItem(i, 0, QTableWidgetItem(asset))
            cell = QTableWidgetItem(plain(amount))
            cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(i, 1, cell)
        self.empty.setVisible(not current.tolerances)

    def _pick(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) == 1:
            row = rows.pop()
            self.asset.setText(self.table.item(row, 0).text())
            self.amount.setText(self.table.item(row, 1).text())

    def apply_base(self) -> None:
        db, user, code = self.desk.db, self.desk.user, self.base.text()
        self._store(f"Base currency {code.strip().upper()}", lambda: set_base_currency(db, code, user=user))

    def apply_tolerance(self) -> None:
        db, user, asset, amount = self.desk.db, self.desk.user, self.asset.text(), self.amount.text()
        self._store(f"Tolerance for {asset.strip()}", lambda: set_tolerance(db, asset, amount, user=user))

    def _store(self, what: str, work) -> None:  # type: ignore[no-untyped-def]
        def done(_result: object) -> None:
            self.desk.status.emit(f"{what}: saved; reconcile the day again to apply it")
            self.desk.changed.emit()

        def failed(exc: BaseException) -> None:
            show_error(self, f"{what} was not saved", exc, where=self.desk.db.describe())

        self.desk.run(lambda _p: work(), done, parent=self, what=what, on_failure=failed)
