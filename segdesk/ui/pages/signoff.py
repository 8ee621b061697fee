"""Sign-off and export: the preparer signs, a different reviewer approves; then the signed pack
(and xlsx) is written; and any pack can be verified here in plain words."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from segdesk.services.exporting import (
    ExportResult,
    PackCheck,
    create_signing_key,
    entity_name,
    export_pack,
    open_signing_key,
    verify_pack,
)
from segdesk.services.findings import sign_off
from segdesk.services.reconciling import RunView, current_run
from segdesk.ui.desk import Desk, show_error
from segdesk.ui.widgets import heading, page_layout

PASSPHRASE_VARIABLE = "SEGDESK_KEY_PASSPHRASE"


class PassphraseDialog(QDialog):
    """Asks for a key's passphrase (twice when making a new key); the text never leaves memory."""

    def __init__(self, prompt: str, *, confirm: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Passphrase")
        form = QFormLayout(self)
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(QLabel(prompt))
        form.addRow("Passphrase", self.first)
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        if confirm:
            form.addRow("Repeat", self.second)
        self.confirm = confirm
        self.warning = QLabel("")
        self.warning.setStyleSheet("color: #b3261e")
        form.addRow(self.warning)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _check(self) -> None:
        if self.confirm and self.first.text() != self.second.text():
            self.warning.setText("The two passphrases differ.")
            return
        self.accept()

    @property
    def passphrase(self) -> str:
        return self.first.text()


class VerifyDialog(QDialog):
    """Drop a PDF (or choose one) and read whether it is an intact, validly signed SegDesk pack."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Verify an audit pack")
        self.setAcceptDrops(True)
        self.resize(620, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Drop a PDF audit pack here, or choose one. Optionally choose the certificate you "
                                "trust (the signer's CA certificate, .crt)."))
        row = QHBoxLayout()
        choose = QPushButton("Choose pack…")
        choose.clicked.connect(self._choose)
        row.addWidget(choose)
        self.cert = QLineEdit()
        self.cert.setPlaceholderText("Trusted certificate (optional)")
        row.addWidget(self.cert, 1)
        cert_button = QPushButton("Certificate…")
        cert_button.clicked.connect(self._choose_cert)
        row.addWidget(cert_button)
        layout.addLayout(row)
        self.result = QLabel("No pack checked yet.")
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setWordWrap(True)
        self.result.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    def _choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Choose an audit pack", "", "PDF (*.pdf)")
        if name:
            self.check(Path(name))

    def _choose_cert(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Trusted certificate", "", "Certificates (*.crt *.pem *.cer *.der)")
        if name:
            self.cert.setText(name)

    def dragEnterEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.check(Path(urls[0].toLocalFile()))

    def check(self, pack: Path) -> PackCheck | None:
        cert = Path(self.cert.text()) if self.cert.text().strip() else None
        try:
            result = verify_pack(pack, cert=cert)
        except Exception as exc:  # noqa: BLE001 - e.g. an unreadable certificate file: say so
            show_error(self, "The pack could not be checked", exc)
            return None
        self.result.setText(verification_html(result))
        return result


def verification_html(check: PackCheck) -> str:
    from html import escape

    if not check.ok:
        items = "".join(f"<li>{escape(p)}</li>" for p in check.problems)
        return (f"<p style='color:#b3261e; font-size:14pt'><b>✖ Not verified</b></p><p>{escape(check.path.name)} "
                f"is not an intact, validly signed SegDesk pack:</p><ul>{items}</ul>")
    v, facts = check.verification, check.facts or {}
    verdict = facts.get("verdict") or {}
    head = facts.get("audit_chain_head") or {}
    trust = ("The certificate is the one you trust, or issued by it." if v.trusted else
             "No trusted certificate was given: compare the fingerprint below with the one the signer gave you.")
    draft = " <b>DRAFT — not yet reviewed.</b>" if facts.get("draft") else ""
    return (
        f"<p style='color:#1e7b45; font-size:14pt'><b>✔ Verified</b></p>"
        f"<p>{escape(check.path.name)} is intact: signed as a certification allowing no change, the signature covers "
        f"the whole file, and every attached source file matches its SHA-256.</p>"
        f"<p><b>Signed by</b> {escape(str(v.signer))}{(', ' + escape(v.organisation)) if v.organisation else ''}"
        f"{(' on ' + v.signed_at.strftime('%Y-%m-%d %H:%M UTC')) if v.signed_at else ''}. {trust}</p>"
        f"<p><b>{escape(str(facts.get('entity')))}</b>, as of {escape(str(facts.get('as_of')))} (run "
        f"{escape(str(facts.get('run_id')))}).{draft}<br>{escape(str(verdict.get('title')))}: "
        f"{escape(str(verdict.get('detail')))}</p>"
        f"<p style='color:gray'>Certificate fingerprint {v.fingerprint}<br>Audit chain head #{head.get('seq')} "
        f"{head.get('hash')}</p>"
    )


class SignOffPage(QWidget):
    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.run: RunView | None = None
        layout = page_layout(self)
        self.title = heading("Sign-off and export")
        layout.addWidget(self.title)
        self.state = QLabel()
        self.state.setTextFormat(Qt.TextFormat.RichText)
        self.state.setWordWrap(True)
        layout.addWidget(self.state)

        signing = QGroupBox("Sign off (four eyes: the reviewer must be a different person)")
        form = QFormLayout(signing)
        self.user = QLineEdit(desk.user)
        form.addRow("Signing as", self.user)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("Optional comment")
        form.addRow("Comment", self.comment)
        buttons = QHBoxLayout()
        self.prepare_button = QPushButton("Sign as preparer")
        self.prepare_button.clicked.connect(lambda: self.sign("preparer"))
        self.review_button = QPushButton("Approve as reviewer")
        self.review_button.clicked.connect(lambda: self.sign("reviewer"))
        buttons.addWidget(self.prepare_button)
        buttons.addWidget(self.review_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        layout.addWidget(signing)

        export = QGroupBox("Export the signed audit pack")
        form = QFormLayout(export)
        self.entity = QLineEdit()
        self.entity.setPlaceholderText("The fund or firm the pack is for")
        form.addRow("Entity", self.entity)
        self.key = QLineEdit(str(_settings_value("export/key", "")))
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        browse_key = QPushButton("Choose…")
        browse_key.clicked.connect(self._choose_key)
        key_row.addWidget(browse_key)
        new_key = QPushButton("Create a key…")
        new_key.clicked.connect(self.create_key)
        key_row.addWidget(new_key)
        form.addRow("Signing key (.p12)", key_row)
        self.key_note = QLabel("")
        self.key_note.setWordWrap(True)
        self.key_note.setVisible(False)  # only after a key is created here
        form.addRow(self.key_note)
        self.out = QLineEdit()
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        browse_out = QPushButton("Save as…")
        browse_out.clicked.connect(self._choose_out)
        out_row.addWidget(browse_out)
        form.addRow("Pack (.pdf)", out_row)
        self.with_xlsx = QCheckBox("Also write the figures as an .xlsx beside it")
        self.with_xlsx.setChecked(True)
        form.addRow("", self.with_xlsx)
        export_row = QHBoxLayout()
        self.export_button = QPushButton("Export signed pack")
        self.export_button.clicked.connect(self.export)
        export_row.addWidget(self.export_button)
        verify = QPushButton("Verify a pack…")
        verify.clicked.connect(self.open_verify)
        export_row.addWidget(verify)
        export_row.addStretch(1)
        form.addRow(export_row)
        layout.addWidget(export)
        layout.addStretch(1)

        desk.changed.connect(self.reload)
        desk.as_of_changed.connect(lambda _d: self.reload())

    # --- state -----------------------------------------------------------------------------------

    def reload(self) -> None:
        day, db = self.desk.as_of, self.desk.db
        self.desk.run(lambda _p: (current_run(db, day) if day else None, entity_name(db)), self._show, parent=self,
                      what="Loading the sign-off")

    def _show(self, loaded) -> None:  # type: ignore[no-untyped-def]
        run, entity = loaded
        self.run = run
        if entity and not self.entity.text():
            self.entity.setText(entity)
        if run is None:
            self.state.setText("No run for this date yet: reconcile it on the Dashboard first.")
            for b in (self.prepare_button, self.review_button, self.export_button):
                b.setEnabled(False)
            return
        prepared, reviewed = run.sign_offs.get("preparer"), run.sign_offs.get("reviewer")
        lines = [(f"<b>Run {run.run_id}</b> for {run.as_of:%d %B %Y}: {len(run.findings)} finding(s), "
                  f"{len(run.open_critical)} critical open.")]
        lines.append(f"Prepared by <b>{prepared.user}</b> at {prepared.at:%Y-%m-%d %H:%M} UTC." if prepared
                     else "Not yet signed by a preparer.")
        lines.append(f"Approved by <b>{reviewed.user}</b> at {reviewed.at:%Y-%m-%d %H:%M} UTC — the run is frozen."
                     if reviewed else "Not yet approved by a reviewer: an exported pack says DRAFT on every page.")
        self.state.setText("<br>".join(lines))
        self.prepare_button.setEnabled(prepared is None)
        self.review_button.setEnabled(prepared is not None and reviewed is None)
        self.export_button.setEnabled(True)
        if not self.out.text():
            folder = Path(str(_settings_value("export/folder", Path.home())))
            self.out.setText(str(folder / f"segregation-pack-{run.as_of}.pdf"))

    def sign(self, role: str) -> None:
        day, db = self.desk.as_of, self.desk.db
        user, comment = self.user.text().strip(), self.comment.text().strip()
        if day is None:
            return
        seen = self.run.run_id if self.run is not None else None  # sign what is on screen, nothing newer

        def done(signed) -> None:  # type: ignore[no-untyped-def]
            self.comment.clear()
            self.desk.status.emit(f"Signed {day} as {signed.role}: {signed.user}")
            self.desk.changed.emit()

        def failed(exc: BaseException) -> None:
            show_error(self, f"Signing as {role} did not complete", exc, where=db.describe())
            self.desk.changed.emit()  # a newer run may have replaced the one shown: show it

        self.desk.run(lambda _p: sign_off(db, day, role, user=user or None, comment=comment, expected_run=seen), done,
                      parent=self, what=f"Signing as {role}", on_failure=failed)

    # --- keys and export -------------------------------------------------------------------------

    def _choose_key(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Signing key", self.key.text(), "PKCS#12 keys (*.p12 *.pfx)")
        if name:
            self.key.setText(name)

    def _choose_out(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save the audit pack", self.out.text(), "PDF (*.pdf)")
        if name:
            self.out.setText(name if name.lower().endswith(".pdf") else name + ".pdf")

    def create_key(self) -> None:
        dialog = NewKeyDialog(self)
        dialog.created.connect(self._key_created)
        dialog.open()
        self.new_key_dialog = dialog

    def _key_created(self, made) -> None:  # type: ignore[no-untyped-def]
        self.key.setText(str(made.p12))
        self.key_note.setVisible(True)
        self.key_note.setText(
            f"New key written. Give {made.ca_certificate} to your auditors: it is the certificate their verifier "
            "should trust. Tell them its fingerprint by another way (a call, a letter), so they can be sure the file "
            f"is yours:\nCA certificate SHA-256: {_spaced(made.ca_fingerprint)}")
        self.key_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def export(self) -> None:
        out = Path(self.out.text().strip())
        xlsx = out.with_suffix(".xlsx") if self.with_xlsx.isChecked() else None
        existing = [p for p in (out, xlsx) if p is not None and p.exists()]
        if existing:
            box = QMessageBox(QMessageBox.Icon.Question, "Replace the existing files?",
                              "These files exist already:\n" + "\n".join(str(p) for p in existing)
                              + "\n\nA pack may already be with an auditor. Replace them?",
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
            box.setObjectName("replaceQuestion")
            box.buttonClicked.connect(lambda button: self._ask_passphrase(replace=True)
                                      if box.standardButton(button) == QMessageBox.StandardButton.Yes else None)
            box.open()
            self.replace_box = box
            return
        self._ask_passphrase(replace=False)

    def _ask_passphrase(self, *, replace: bool) -> None:
        self.replace = replace
        if os.environ.get(PASSPHRASE_VARIABLE) is not None:
            self._export(os.environ[PASSPHRASE_VARIABLE])
            return
        dialog = PassphraseDialog(f"Passphrase for {Path(self.key.text()).name}", parent=self)
        dialog.accepted.connect(lambda: self._export(dialog.passphrase))
        dialog.open()
        self.passphrase_dialog = dialog

    def _export(self, passphrase: str) -> None:
        day, db, user = self.desk.as_of, self.desk.db, self.desk.user
        key_path, out = Path(self.key.text().strip()), Path(self.out.text().strip())
        replace = getattr(self, "replace", False)
        xlsx = out.with_suffix(".xlsx") if self.with_xlsx.isChecked() else None
        entity = self.entity.text().strip() or None
        if day is None:
            return
        progress = QProgressDialog("Building the pack…", "Cancel", 0, 6, self)
        progress.setWindowTitle("Exporting")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        self.progress_dialog = progress

        def work(p):  # type: ignore[no-untyped-def]
            key = open_signing_key(key_path, passphrase)
            return export_pack(db, day, out, key, xlsx=xlsx, entity=entity, user=user, progress=p,
                               replace=replace)

        def done(result: ExportResult) -> None:
            progress.reset()
            _save_setting("export/key", str(key_path))
            _save_setting("export/folder", str(out.parent))
            self.last_export = result
            self.desk.status.emit(f"Wrote {result.pdf.name}")
            self.desk.changed.emit()
            box = QMessageBox(QMessageBox.Icon.Information, "Audit pack written",
                              f"Wrote the signed pack for {result.as_of} to {result.pdf}"
                              + (f"\nand the figures to {result.xlsx}" if result.xlsx else "")
                              + ("\n\nThe run is not yet approved: the pack says DRAFT." if result.draft else ""),
                              QMessageBox.StandardButton.Ok, self)
            folder = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
            folder.clicked.connect(lambda: _open_folder(result.pdf.parent))
            box.setObjectName("exportDone")
            box.open()
            self.export_box = box

        job = self.desk.run(work, done, parent=self, what="Exporting the audit pack",
                            on_progress=lambda d, t, s: (progress.setMaximum(t), progress.setValue(d),
                                                         progress.setLabelText(s.capitalize() + "…")),
                            on_cancel=lambda: self.desk.status.emit("Export cancelled; nothing was written"))
        progress.canceled.connect(job.cancel)
        job.settled.connect(progress.reset)

    def open_verify(self) -> None:
        self.verify_dialog = VerifyDialog(self)
        self.verify_dialog.open()


class NewKeyDialog(QDialog):
    """Make a signing key and its CA certificate (what `segdesk keys create` does)."""

    created = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create a signing key")
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Jane Doe, Acme Fund Services")
        form.addRow("Your name, firm", self.name)
        self.path = QLineEdit(str(Path.home() / "segdesk-signing-key.p12"))
        form.addRow("Save key as", self.path)
        self.first, self.second = QLineEdit(), QLineEdit()
        for field in (self.first, self.second):
            field.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Passphrase", self.first)
        form.addRow("Repeat", self.second)
        self.warning = QLabel("")
        self.warning.setStyleSheet("color: #b3261e")
        self.warning.setWordWrap(True)
        form.addRow(self.warning)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        buttons.accepted.connect(self._create)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _create(self) -> None:
        if self.first.text() != self.second.text():
            self.warning.setText("The two passphrases differ.")
            return
        try:
            made = create_signing_key(Path(self.path.text().strip()), self.name.text(), self.first.text())
        except Exception as exc:  # noqa: BLE001 - shown in the dialog, which stays open
            from segdesk.ui.desk import problem_lines

            self.warning.setText(" ".join(problem_lines(exc)))
            return
        self.made = made
        self.created.emit(made)
        self.accept()


def _spaced(fingerprint: str) -> str:
    """A SHA-256 in groups of four, as people read one out to each other."""
    return " ".join(fingerprint[i:i + 4] for i in range(0, len(fingerprint), 4))


def _settings_value(key: str, default: object) -> object:
    from PySide6.QtCore import QSettings

    return QSettings("SegDesk", "SegDesk").value(key, default)


def _save_setting(key: str, value: object) -> None:
    from PySide6.QtCore import QSettings

    QSettings("SegDesk", "SegDesk").setValue(key, value)


def _open_folder(folder: Path) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
