"""Accounts: the chart as four tables (sub-accounts, external accounts, mappings, what is unmapped),
edited one change at a time through small dialogs, with Undo for the last changes, and the chart
workbook's import, export and template.

Every change is one service call (``services.accounts``) that stores it with its audit event. The
chart is part of a run's fingerprint, so after a change the page says the day must be reconciled
again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from segdesk.services import accounts as service
from segdesk.services.accounts import (
    DESIGNATIONS,
    NO_DESIGNATION,
    SUB_ACCOUNT_KINDS,
    AccountRow,
    ChartOverview,
    MappingRow,
)
from segdesk.services.chart import (
    ChartImportResult,
    export_chart,
    import_chart,
    write_template,
)
from segdesk.ui.desk import Desk, show_error
from segdesk.ui.pages.accounts_dialogs import (
    ChangeDialog,
    DesignationDialog,
    MappingDialog,
    SubAccountDialog,
)
from segdesk.ui.pages.accounts_models import (
    AMBER,
    ANY,
    EVERY_LINE,
    AccountsModel,
    MappingsModel,
    SubAccountsModel,
    UnmappedModel,
    day_text,
    needs_designation,
    problem_text,
)
from segdesk.ui.pages.settings_tab import SettingsTab
from segdesk.ui.rows_model import RowsTableModel
from segdesk.ui.widgets import (
    TableOrEmpty,
    copy_selection,
    fit_columns,
    heading,
    page_layout,
    selected_rows,
)


class TableTab(QWidget):
    def __init__(self, model: RowsTableModel, empty_text: str, search_hint: str,  # type: ignore[type-arg]
                 combo_label: str | None = None) -> None:
        super().__init__()
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.hide()
        layout.addWidget(self.intro)
        filters = QHBoxLayout()
        self.combo = QComboBox()
        if combo_label:
            filters.addWidget(QLabel(combo_label))
            self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            filters.addWidget(self.combo)
        self.search = QLineEdit()
        self.search.setPlaceholderText(search_hint)
        self.search.setClearButtonEnabled(True)
        filters.addWidget(self.search, 1)
        self.count = QLabel()
        filters.addWidget(self.count)
        layout.addLayout(filters)
        self.stack = TableOrEmpty(model, empty_text)
        self.table: QTableView = self.stack.table
        layout.addWidget(self.stack, 1)
        self.actions = QHBoxLayout()
        self.actions.addStretch(1)
        layout.addLayout(self.actions)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.search.textChanged.connect(self.apply_filter)
        self.combo.currentIndexChanged.connect(self.apply_filter)
        self.wanted: Callable[[Any, str], bool] = lambda _r, _c: True

    def button(self, text: str, slot: Callable[[], None], tip: str = "") -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda _=False: slot())
        self.actions.addWidget(button)
        return button

    def set_choices(self, values: list[str]) -> None:
        current = self.combo.currentText()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(ANY)
        self.combo.addItems(values)
        self.combo.setCurrentIndex(max(0, self.combo.findText(current)))
        self.combo.blockSignals(False)

    def show_rows(self, rows: list[Any], key: Callable[[Any], object] | None = None) -> None:
        """Replace the rows, keeping the filter, the sort and (by ``key``) the selection."""
        keep = {key(r) for r in self.selected()} if key else set()
        self.model.set_rows(rows)
        self.apply_filter()
        fit_columns(self.table)
        self.stack.show_rows(bool(rows))
        if keep and key:
            for i, r in enumerate(self.model.rows()):
                if key(r) in keep:
                    self.table.selectRow(i)
                    break

    def apply_filter(self) -> None:
        text = self.search.text().strip().casefold()
        choice = self.combo.currentText()

        def keep(r: object) -> bool:
            if choice not in ("", ANY) and not self.wanted(r, choice):
                return False
            return not text or any(text in cell.casefold() for cell in self.model.cells(r))

        self.model.set_filter(keep)
        self.count.setText(f"{self.model.rowCount()} of {self.model.total}")

    def selected(self) -> list[Any]:
        return [self.model.row(i) for i in selected_rows(self.table)]


# --- the page ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undo:
    label: str  # what undoing does, e.g. "restore the mapping of ZETA"
    work: Callable[[], str]  # runs off the GUI thread; returns the status message


class AccountsPage(QWidget):
    loaded = Signal()  # the tables show what the database holds now

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.overview: ChartOverview | None = None
        self.undo_stack: list[Undo] = []
        self.dialog: ChangeDialog | None = None  # the open dialog (tests find it here)
        layout = page_layout(self)

        top = QHBoxLayout()
        self.title = heading("Accounts")
        top.addWidget(self.title)
        top.addStretch(1)
        self.undo_button = QPushButton("Undo")
        self.undo_button.clicked.connect(self.undo)
        top.addWidget(self.undo_button)
        top.addSpacing(16)
        self.template_button = QPushButton("Template…")
        self.template_button.setToolTip("Save an empty chart workbook to fill in")
        self.template_button.clicked.connect(self._choose_template)
        self.import_button = QPushButton("Import chart…")
        self.import_button.setToolTip("Load a chart workbook, all or nothing. Its Mappings sheet becomes the "
                                      "mapping table: start from “Export chart…” to edit the chart in Excel.")
        self.import_button.clicked.connect(self._choose_import)
        self.export_button = QPushButton("Export chart…")
        self.export_button.setToolTip("Save the chart as a workbook to edit in Excel and import again")
        self.export_button.clicked.connect(self._choose_export)
        for button in (self.template_button, self.import_button, self.export_button):
            top.addWidget(button)
        layout.addLayout(top)

        self.notice = QLabel()
        self.notice.setObjectName("staleNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(f"color: {AMBER}; font-weight: bold")
        self.notice.hide()
        layout.addWidget(self.notice)

        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self._build_sub_accounts()
        self._build_accounts()
        self._build_mappings()
        self._build_unmapped()
        self.settings_tab = SettingsTab(desk)
        self.tabs.addTab(self.settings_tab, "Settings")
        self.tabs.currentChanged.connect(lambda _i: self._enable())

        undo = QShortcut(QKeySequence.StandardKey.Undo, self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo.activated.connect(self.undo)
        self._enable()
        desk.changed.connect(self.reload)
        desk.as_of_changed.connect(lambda _d: self.reload())

    # --- building the tabs -----------------------------------------------------------------------

    def _build_sub_accounts(self) -> None:
        tab = self.sub_tab = TableTab(SubAccountsModel(), "No sub-accounts yet.\n\nAdd one, or import a chart "
                                      "workbook (Template… gives an empty one).", "Search code, name, client…", "Kind")
        tab.set_choices(list(SUB_ACCOUNT_KINDS))
        tab.wanted = lambda r, choice: r.kind == choice
        self.add_sub_button = tab.button("Add sub-account…", self.add_sub_account)
        self.edit_sub_button = tab.button("Edit…", self.edit_sub_account, "Or double-click a row")
        tab.table.doubleClicked.connect(lambda _i: self.edit_sub_account())
        tab.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.tabs.addTab(tab, "Sub-accounts")

    def _build_accounts(self) -> None:
        tab = self.accounts_tab = TableTab(AccountsModel(), "No external accounts yet: they come from the chart "
                                           "workbook or from imported statements.", "Search source, account…",
                                           "Designation")
        tab.set_choices([*DESIGNATIONS, "none"])
        tab.wanted = lambda r, choice: (r.designation or "none") == choice
        self.designate_button = tab.button("Change designation…", self.change_designation, "Or double-click a row")
        tab.table.doubleClicked.connect(lambda _i: self.change_designation())
        tab.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.tabs.addTab(tab, "External accounts")

    def _build_mappings(self) -> None:
        tab = self.mappings_tab = TableTab(MappingsModel(), "No mappings yet: every balance is unmapped until its "
                                           "account (or reference) is mapped to a sub-account.",
                                           "Search account, reference, sub-account…", "Sub-account")
        tab.wanted = lambda r, choice: r.sub_account == choice
        self.add_mapping_button = tab.button("Add mapping…", self.add_mapping)
        self.edit_mapping_button = tab.button("Edit…", self.edit_mapping, "Or double-click a row")
        self.remove_mapping_button = tab.button("Remove", self.remove_mapping, "Remove the selected mapping(s); "
                                                "Undo (Ctrl+Z) restores them")
        tab.table.doubleClicked.connect(lambda _i: self.edit_mapping())
        tab.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.tabs.addTab(tab, "Mappings")

    def _build_unmapped(self) -> None:
        tab = self.unmapped_tab = TableTab(UnmappedModel(), "Nothing unmapped: every balance maps to a "
                                           "sub-account and every custodian and exchange account is designated.",
                                           "Search account, reference, asset…", "Problem")
        tab.set_choices(["unmapped", "no designation"])
        tab.wanted = lambda r, choice: problem_text(r) == choice
        tab.intro.show()
        self.map_button = tab.button("Map to…", self.map_unmapped, "Map the selected account or reference to a "
                                     "sub-account (or double-click)")
        self.designate_unmapped_button = tab.button("Designate…", self.designate_unmapped)
        tab.table.doubleClicked.connect(lambda _i: self._unmapped_default())
        tab.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.tabs.addTab(tab, "Unmapped")

    # --- loading ---------------------------------------------------------------------------------

    def reload(self) -> None:
        db, day = self.desk.db, self.desk.as_of
        self.settings_tab.reload()
        self.desk.run(lambda _p: service.chart_overview(db, day), self.show_overview, parent=self,
                      what="Loading the accounts")

    def show_overview(self, overview: ChartOverview) -> None:
        self.overview = overview
        day = day_text(overview.as_of)
        self.title.setText(f"Accounts — as of {day}" if day else "Accounts")
        self.sub_tab.show_rows(list(overview.sub_accounts), key=lambda r: r.code)
        self.accounts_tab.show_rows(list(overview.accounts), key=lambda r: (r.source, r.account))
        self.mappings_tab.model.day = overview.as_of
        self.mappings_tab.set_choices(sorted({m.sub_account for m in overview.mappings}))
        self.mappings_tab.show_rows(list(overview.mappings),
                                    key=lambda r: (r.source, r.account, r.reference, r.sub_account))
        self.unmapped_tab.model.currency = overview.base_currency
        self.unmapped_tab.show_rows(list(overview.unmapped),
                                    key=lambda r: (r.problem, r.source, r.account, r.reference))
        self.unmapped_tab.intro.setText(
            f"On {day}: balances that no mapping places (their owner is unknown, so they cannot be segregated), "
            "and custodian or exchange accounts with no designation. Select one and press “Map to…” or "
            "“Designate…”." if day else "No statements imported yet.")
        undesignated = sum(1 for a in overview.accounts if a.designation is None and needs_designation(a))
        for i, (name, n) in enumerate((("Sub-accounts", len(overview.sub_accounts)),
                                       ("External accounts", len(overview.accounts)),
                                       ("Mappings", len(overview.mappings)), ("Unmapped", len(overview.unmapped)))):
            self.tabs.setTabText(i, f"{name} ({n})")
        self.tabs.setTabToolTip(1, f"{undesignated} account(s) with no designation" if undesignated else "")
        self.notice.setText(
            f"The chart or the statements changed since {day} was last reconciled: reconcile it again "
            "(Dashboard) before sign-off and export." if overview.run_state == "stale" else "")
        self.notice.setVisible(overview.run_state == "stale")
        self._enable()
        self.loaded.emit()

    def _enable(self) -> None:
        loaded = self.overview is not None
        subs = self.sub_tab.selected()
        self.add_sub_button.setEnabled(loaded)
        self.edit_sub_button.setEnabled(len(subs) == 1)
        self.designate_button.setEnabled(len(self.accounts_tab.selected()) == 1)
        maps = self.mappings_tab.selected()
        self.add_mapping_button.setEnabled(loaded and bool(self.overview and self.overview.accounts))
        self.edit_mapping_button.setEnabled(len(maps) == 1)
        self.remove_mapping_button.setEnabled(bool(maps))
        items = self.unmapped_tab.selected()
        self.map_button.setEnabled(len(items) == 1 and items[0].problem != NO_DESIGNATION)
        self.designate_unmapped_button.setEnabled(len(items) == 1 and needs_designation(items[0]))
        self.undo_button.setEnabled(bool(self.undo_stack))
        self.undo_button.setText("Undo" if not self.undo_stack else "Undo (Ctrl+Z)")
        self.undo_button.setToolTip(f"Undo: {self.undo_stack[-1].label}" if self.undo_stack else
                                    "Nothing to undo: mapping and designation changes made here can be undone")

    def copy_selection(self) -> str:
        tab = self.tabs.currentWidget()
        return copy_selection(tab.table) if isinstance(tab, TableTab) else ""

    # --- changes ---------------------------------------------------------------------------------

    def _store(self, dialog: ChangeDialog | None, what: str, work: Callable[[], Any],
               done: Callable[[Any], tuple[str, Undo | None]]) -> None:
        """Run one change off the GUI thread; on success close the dialog, remember how to undo it,
        and say that the day needs reconciling again; on failure say why in the dialog."""
        if dialog is not None:
            dialog.set_busy(True)

        def stored(result: Any) -> None:
            message, undo = done(result)
            if dialog is not None:
                dialog.set_busy(False)
                dialog.accept()
            if undo is not None:
                self.undo_stack.append(undo)
            self._changed(message)

        def failed(exc: BaseException) -> None:
            if dialog is not None:
                dialog.set_busy(False)
                dialog.show_problems(self.desk.explain(exc))
            else:
                show_error(self, f"{what} did not complete", exc, where=self.desk.db.describe())

        self.desk.run(lambda _p: work(), stored, parent=self, what=what, on_failure=failed)

    def _changed(self, message: str) -> None:
        day = self.overview.as_of if self.overview else None
        again = f" The chart changed: reconcile {day:%d %b %Y} again before sign-off and export." if day else ""
        self.desk.status.emit(message + "." + again)
        self._enable()
        self.desk.changed.emit()

    def _open(self, dialog: ChangeDialog, on_submit: Callable[[], None]) -> None:
        self.dialog = dialog
        dialog.submitted.connect(on_submit)
        dialog.open()

    def add_sub_account(self) -> None:
        dialog = SubAccountDialog(None, self)
        db, user = self.desk.db, self.desk.user

        def submit() -> None:
            values = dialog.values()
            self._store(dialog, "Adding the sub-account", lambda: service.add_sub_account(db, **values, user=user),
                        lambda row: (f"Sub-account {row.code} added", None))

        self._open(dialog, submit)

    def edit_sub_account(self) -> None:
        chosen = self.sub_tab.selected()
        if len(chosen) != 1:
            return
        before = chosen[0]
        dialog = SubAccountDialog(before, self)
        db, user = self.desk.db, self.desk.user

        def submit() -> None:
            values = dialog.values()
            del values["code"]
            restore = {"name": before.name, "kind": before.kind, "client": before.client,
                       "base_currency": before.base_currency}

            def restore_it() -> str:
                service.update_sub_account(db, before.code, **restore, user=user)
                return f"Sub-account {before.code} restored"

            self._store(dialog, "Changing the sub-account",
                        lambda: service.update_sub_account(db, before.code, **values, user=user),
                        lambda row: (f"Sub-account {row.code} changed",
                                     Undo(f"restore sub-account {before.code} as it was", restore_it)))

        self._open(dialog, submit)

    def change_designation(self) -> None:
        chosen = self.accounts_tab.selected()
        if len(chosen) == 1:
            self._designate(chosen[0])

    def designate_unmapped(self) -> None:
        chosen = self.unmapped_tab.selected()
        if len(chosen) == 1 and self.overview:
            item = chosen[0]
            account = next((a for a in self.overview.accounts if (a.source, a.account) == (item.source, item.account)),
                           None)
            if account is not None:
                self._designate(account)

    def _designate(self, account: AccountRow) -> None:
        dialog = DesignationDialog(account, self)
        db, user = self.desk.db, self.desk.user

        def submit() -> None:
            designation = dialog.chosen()
            if designation == account.designation:
                dialog.accept()
                return

            def undo_of(change: service.DesignationChange) -> Undo:
                def work() -> str:
                    service.designate(db, change.source, change.account, change.old, user=user, allow_none=True)
                    return f"Designation of {change.source}:{change.account} restored to {change.old or 'none'}"
                return Undo(f"restore the designation of {change.source}:{change.account} "
                            f"({change.old or 'none'})", work)

            self._store(dialog, "Changing the designation",
                        lambda: service.designate(db, account.source, account.account, designation, user=user),
                        lambda c: (f"{c.source}:{c.account} designated {c.new or 'none'} (was {c.old or 'none'})",
                                   undo_of(c)))

        self._open(dialog, submit)

    def add_mapping(self) -> None:
        if self.overview is None:
            return
        dialog = MappingDialog(self.overview, title="Add a mapping", ok_text="Add", parent=self)
        self._submit_new_mapping(dialog)

    def map_unmapped(self) -> None:
        chosen = self.unmapped_tab.selected()
        if len(chosen) != 1 or self.overview is None or chosen[0].problem == NO_DESIGNATION:
            return
        item = chosen[0]
        what = f"reference {item.reference}" if item.reference else "the lines without a reference"
        dialog = MappingDialog(self.overview, title=f"Map {what} in {item.external_account}", ok_text="Map",
                               account=(item.source, item.account), reference=item.reference, fixed_account=True,
                               offer_reference_choice=True, parent=self)
        self._submit_new_mapping(dialog)

    def _unmapped_default(self) -> None:
        chosen = self.unmapped_tab.selected()
        if chosen and chosen[0].problem == NO_DESIGNATION:
            self.designate_unmapped()
        else:
            self.map_unmapped()

    def _submit_new_mapping(self, dialog: MappingDialog) -> None:
        db, user = self.desk.db, self.desk.user

        def submit() -> None:
            values = dialog.values()

            def undo_of(row: MappingRow) -> Undo:
                def work() -> str:
                    service.remove_mapping(db, row.id, user=user)
                    return f"Mapping of {describe(row)} removed"
                return Undo(f"remove the mapping of {describe(row)} to {row.sub_account}", work)

            self._store(dialog, "Adding the mapping", lambda: service.add_mapping(db, **values, user=user),
                        lambda row: (f"Mapped {describe(row)} to {row.sub_account}", undo_of(row)))

        self._open(dialog, submit)

    def edit_mapping(self) -> None:
        chosen = self.mappings_tab.selected()
        if len(chosen) != 1 or self.overview is None:
            return
        before = chosen[0]
        dialog = MappingDialog(self.overview, title=f"Change the mapping of {before.external_account}",
                               ok_text="Save", account=(before.source, before.account), fixed_account=True,
                               existing=before, parent=self)
        db, user = self.desk.db, self.desk.user

        def submit() -> None:
            values = dialog.values()
            del values["source"], values["account"]

            def undo_of(after: MappingRow) -> Undo:
                def work() -> str:
                    service.change_mapping(db, after.id, reference=before.reference, sub_account=before.sub_account,
                                           valid_from=before.valid_from, valid_to=before.valid_to, user=user)
                    return f"Mapping of {describe(before)} restored"
                return Undo(f"restore the mapping of {describe(before)} to {before.sub_account}", work)

            self._store(dialog, "Changing the mapping",
                        lambda: service.change_mapping(db, before.id, **values, user=user)[1],
                        lambda after: (f"Mapping of {describe(after)} now to {after.sub_account}", undo_of(after)))

        self._open(dialog, submit)

    def remove_mapping(self) -> None:
        chosen = self.mappings_tab.selected()
        if not chosen:
            return
        db, user = self.desk.db, self.desk.user
        ids = [r.id for r in chosen]

        def work() -> list[MappingRow]:
            return service.remove_mappings(db, ids, user=user)

        def undo_of(removed: list[MappingRow]) -> Undo:
            def restore() -> str:
                service.restore_mappings(db, removed, user=user)
                return f"{len(removed)} mapping(s) restored"
            names = ", ".join(describe(r) for r in removed[:3]) + (" …" if len(removed) > 3 else "")
            return Undo(f"restore the removed mapping(s): {names}", restore)

        self._store(None, "Removing the mapping", work,
                    lambda removed: (f"Removed {len(removed)} mapping(s): "
                                     + ", ".join(f"{describe(r)} → {r.sub_account}" for r in removed[:3])
                                     + (" …" if len(removed) > 3 else "") + " (Ctrl+Z undoes)", undo_of(removed)))

    def undo(self) -> None:
        if not self.undo_stack:
            self.desk.status.emit("Nothing to undo")
            return
        entry = self.undo_stack.pop()
        self._enable()

        self.desk.run(lambda _p: entry.work(), lambda message: self._changed(f"Undone: {message}"), parent=self,
                      what="Undo")

    # --- the chart workbook ----------------------------------------------------------------------

    def _choose_template(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save an empty chart workbook", "chart-template.xlsx",
                                              "Excel workbooks (*.xlsx)")
        if name:
            self.save_template(Path(name))

    def _choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export the chart", "chart.xlsx", "Excel workbooks (*.xlsx)")
        if name:
            self.export_chart(Path(name))

    def _choose_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import a chart workbook (all or nothing)", "",
                                              "Excel workbooks (*.xlsx)")
        if name:
            self.import_chart(Path(name))

    def save_template(self, path: Path) -> None:
        self.desk.run(lambda _p: write_template(path), lambda _r: self.desk.status.emit(
            f"Empty chart workbook saved to {path}"), parent=self, what="Saving the template")

    def export_chart(self, path: Path) -> None:
        db = self.desk.db
        self.desk.run(lambda _p: export_chart(db, path), lambda chart: self.desk.status.emit(
            f"Chart exported to {path}: {len(chart.sub_accounts)} sub-accounts, {len(chart.accounts)} accounts, "
            f"{len(chart.mappings)} mappings"), parent=self, what="Exporting the chart")

    def import_chart(self, path: Path) -> None:
        db, user = self.desk.db, self.desk.user

        def imported(result: ChartImportResult) -> None:
            self.undo_stack.clear()  # what they would restore may no longer exist
            summary = import_summary(result)
            box = QMessageBox(QMessageBox.Icon.Information, "Chart imported", f"{path.name} was imported.",
                              QMessageBox.StandardButton.Ok, self)
            box.setInformativeText(summary)
            box.setObjectName("chartImported")
            box.open()
            self.import_box = box
            changed = any((result.sub_accounts_created, result.sub_accounts_updated, result.accounts_created,
                           result.accounts_updated, result.mappings_added, result.mappings_removed))
            if changed:
                self._changed(f"Chart {path.name} imported: {summary.replace(chr(10), '; ')}")
            else:
                self.desk.status.emit(f"Chart {path.name} imported: nothing changed")
                self._enable()

        self.desk.run(lambda _p: import_chart(db, path, user=user), imported, parent=self,
                      what=f"Importing {path.name}")


def describe(r: MappingRow) -> str:
    return f"{r.source}:{r.account} ({f'reference {r.reference}' if r.reference else EVERY_LINE})"


def import_summary(r: ChartImportResult) -> str:
    return (f"Sub-accounts: {r.sub_accounts_created} added, {r.sub_accounts_updated} changed\n"
            f"External accounts: {r.accounts_created} added, {r.accounts_updated} changed\n"
            f"Mappings: {r.mappings_added} added, {r.mappings_removed} removed")


__all__ = ["AccountsModel", "AccountsPage", "MappingsModel", "SubAccountsModel", "UnmappedModel"]
