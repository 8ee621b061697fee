"""The Accounts page's dialogs: one change each, run by a service in the background; a refusal keeps
the dialog open with the reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from segdesk.services.accounts import (
    DESIGNATIONS,
    SUB_ACCOUNT_KINDS,
    AccountRow,
    ChartOverview,
    MappingRow,
    SubAccountRow,
)
from segdesk.ui.pages.accounts_models import (
    AMBER,
    DESIGNATION_HELP,
    GREY,
    KIND_HELP,
    RED,
    needs_designation,
)


class ChangeDialog(QDialog):
    """A small form whose OK asks the page to store the change; it stays open, showing what is
    wrong, until the change is stored."""

    submitted = Signal()

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        outer = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.hide()
        outer.addWidget(self.intro)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        outer.addLayout(self.form)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {AMBER}")
        self.warning.hide()
        outer.addWidget(self.warning)
        self.problems = QLabel()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {RED}")
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.hide()
        outer.addWidget(self.problems)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(ok_text)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

    def _submit(self) -> None:
        self.show_problems([])
        self.submitted.emit()

    def set_busy(self, busy: bool) -> None:
        self.ok.setEnabled(not busy)

    def show_problems(self, lines: list[str]) -> None:
        self.problems.setText("\n".join(f"• {line}" for line in lines) if len(lines) > 1 else "".join(lines))
        self.problems.setVisible(bool(lines))
        self._fit()

    def show_warning(self, text: str) -> None:
        self.warning.setText(text)
        self.warning.setVisible(bool(text))
        self._fit()

    def _fit(self) -> None:
        """Grow to show a message that appeared (never shrink below what the user made it)."""
        if self.isVisible():
            hint = self.sizeHint()
            self.resize(max(self.width(), hint.width()), max(self.height(), hint.height()))


class SubAccountDialog(ChangeDialog):
    def __init__(self, existing: SubAccountRow | None, parent: QWidget | None = None) -> None:
        super().__init__(f"Edit sub-account {existing.code}" if existing else "Add a sub-account",
                         "Save" if existing else "Add", parent)
        self.code, self.name, self.client, self.currency = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.code.setPlaceholderText("e.g. C-ALPHA")
        self.name.setPlaceholderText("e.g. Alpha Capital LP")
        self.client.setPlaceholderText("the client's legal name (client sub-accounts)")
        self.currency.setPlaceholderText("blank: the firm's base currency")
        self.currency.setMaxLength(12)
        self.kind = QComboBox()
        for kind in SUB_ACCOUNT_KINDS:
            self.kind.addItem(f"{kind} — {KIND_HELP[kind]}", kind)
        self.form.addRow("Code", self.code)
        self.form.addRow("Name", self.name)
        self.form.addRow("Kind", self.kind)
        self.form.addRow("Client", self.client)
        self.form.addRow("Base currency", self.currency)
        if existing:
            self.code.setText(existing.code)
            self.code.setEnabled(False)  # findings, runs and audit packs name it: it stays
            self.form.labelForField(self.code).setToolTip("The code stays: findings, runs and audit packs name it")
            self.name.setText(existing.name)
            self.kind.setCurrentIndex(max(0, self.kind.findData(existing.kind)))
            self.client.setText(existing.client or "")
            self.currency.setText(existing.base_currency or "")

    def values(self) -> dict[str, Any]:
        return {"code": self.code.text(), "name": self.name.text(), "kind": self.kind.currentData(),
                "client": self.client.text() or None, "base_currency": self.currency.text() or None}


class DesignationDialog(ChangeDialog):
    def __init__(self, account: AccountRow, parent: QWidget | None = None) -> None:
        super().__init__(f"Designation of {account.external_account}", "Change", parent)
        self.account = account
        self.intro.setText(f"How <b>{account.source}</b> account <b>{account.account}</b> ({account.source_kind}) "
                           "is titled at the source:")
        self.intro.show()
        self.designation = QComboBox()
        for designation in DESIGNATIONS:
            self.designation.addItem(f"{designation} — {DESIGNATION_HELP[designation]}", designation)
        if not needs_designation(account):
            self.designation.addItem("(none — a ledger account needs none)", None)
        current = self.designation.findData(account.designation)
        self.designation.setCurrentIndex(current if current >= 0 else -1)
        self.ok.setEnabled(current >= 0)  # nothing chosen yet: nothing to change to
        self.designation.currentIndexChanged.connect(lambda i: self.ok.setEnabled(i >= 0))
        self.form.addRow("Designation", self.designation)
        if account.designation is None and needs_designation(account):
            self.show_warning("This account has no designation yet: its money is not counted as held in segregation.")

    def chosen(self) -> str | None:
        return self.designation.currentData()


class MappingDialog(ChangeDialog):
    """Add a mapping (any account), map an unmapped reference (account fixed), or change one."""

    def __init__(self, overview: ChartOverview, *, title: str, ok_text: str, account: tuple[str, str] | None = None,
                 reference: str | None = None, fixed_account: bool = False, offer_reference_choice: bool = False,
                 existing: MappingRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__(title, ok_text, parent)
        self.overview = overview
        self.kinds = {s.code: s.kind for s in overview.sub_accounts}
        self.designations = {(a.source, a.account): a for a in overview.accounts}
        self.account = QComboBox()
        # Items in the order of overview.accounts: Qt cannot find a Python tuple as item data.
        self.keys = [(a.source, a.account) for a in overview.accounts]
        for a in overview.accounts:
            self.account.addItem(f"{a.source} : {a.account}")
        if account in self.keys:
            self.account.setCurrentIndex(self.keys.index(account))
        self.account.setEnabled(not fixed_account)
        self.form.addRow("External account", self.account)

        self.reference = QLineEdit(reference or "")
        self.reference.setPlaceholderText("blank: every line of the account")
        self.offers_choice = offer_reference_choice and bool(reference)
        self.only_reference = QRadioButton(f"Only lines with reference {reference}", self)
        self.every_line = QRadioButton("Every line of the account that no reference mapping places", self)
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.only_reference)
        self.choice.addButton(self.every_line)
        if self.offers_choice:
            lines = QWidget()
            box = QVBoxLayout(lines)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(6)
            box.addWidget(self.only_reference)
            box.addWidget(self.every_line)
            self.only_reference.setChecked(True)
            self.form.addRow("Lines", lines)
        else:
            self.only_reference.hide()
            self.every_line.hide()
            self.form.addRow("Reference", self.reference)

        self.sub_account = QComboBox()
        self.sub_account.addItem("— choose —", None)
        for s in overview.sub_accounts:
            self.sub_account.addItem(f"{s.code} — {s.name} ({s.kind})", s.code)
        self.form.addRow("Sub-account", self.sub_account)

        self.valid_from, self.has_from = self._date_row("Valid from", existing.valid_from if existing else None)
        self.valid_to, self.has_to = self._date_row("Valid to", existing.valid_to if existing else None)
        note = QLabel("Both ends are inclusive and judged on the statement's date; leave unticked for no limit.")
        note.setWordWrap(True)
        note.setStyleSheet(f"color: {GREY}")
        self.form.addRow(note)
        if existing is not None:
            self.reference.setText(existing.reference or "")
            self.sub_account.setCurrentIndex(max(0, self.sub_account.findData(existing.sub_account)))
        elif reference:
            # The same client reference is usually mapped elsewhere already (the ledger, another custodian).
            known = {m.sub_account for m in overview.mappings if m.reference == reference}
            if len(known) == 1:
                self.sub_account.setCurrentIndex(max(0, self.sub_account.findData(known.pop())))
        self.account.currentIndexChanged.connect(self._check)
        self.sub_account.currentIndexChanged.connect(self._check)
        self._check()

    def _date_row(self, label: str, value: dt.date | None) -> tuple[QDateEdit, QCheckBox]:
        row = QHBoxLayout()
        tick = QCheckBox()
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        start = value or self.overview.as_of or dt.date.today()
        edit.setDate(QDate(start.year, start.month, start.day))
        tick.setChecked(value is not None)
        edit.setEnabled(value is not None)
        tick.toggled.connect(edit.setEnabled)
        row.addWidget(tick)
        row.addWidget(edit, 1)
        self.form.addRow(label, row)
        return edit, tick

    def _check(self) -> None:
        """Say before saving what the reconciliation will make of this mapping."""
        key, code = self.chosen_account(), self.sub_account.currentData()
        account = self.designations.get(key) if key else None
        kind = self.kinds.get(code) if code else None
        text = ""
        if account is not None and kind is not None:
            if kind == "client" and account.designation == "proprietary":
                text = (f"{code} is a client sub-account and this account is titled proprietary: its money here "
                        "will be reported as commingling (critical).")
            elif kind == "proprietary" and account.designation in ("client_segregated", "omnibus_client"):
                text = (f"{code} is the firm's own money and this account is titled {account.designation}: it "
                        "will be reported as commingling.")
            elif account.designation is None and needs_designation(account):
                text = "This account has no designation yet; designate it too (External accounts)."
        self.show_warning(text)

    @staticmethod
    def _date(tick: QCheckBox, edit: QDateEdit) -> dt.date | None:
        if not tick.isChecked():
            return None
        d = edit.date()
        return dt.date(d.year(), d.month(), d.day())

    def chosen_account(self) -> tuple[str, str] | None:
        i = self.account.currentIndex()
        return self.keys[i] if 0 <= i < len(self.keys) else None

    def values(self) -> dict[str, Any]:
        source, account = self.chosen_account() or ("", "")
        if self.offers_choice:
            reference = self.reference.text() if self.only_reference.isChecked() else None
        else:
            reference = self.reference.text() or None
        return {"source": source, "account": account, "reference": reference,
                "sub_account": self.sub_account.currentData() or "",
                "valid_from": self._date(self.has_from, self.valid_from),
                "valid_to": self._date(self.has_to, self.valid_to)}


# --- one tab: filters, table, buttons ----------------------------------------------------------------


