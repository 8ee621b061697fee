"""Steps a person takes in the window, shared by the GUI tests."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox


def resolve_stale_finding(qtbot, w) -> None:  # type: ignore[no-untyped-def]
    findings = w.findings
    w.sidebar.setCurrentRow(w.stack.indexOf(findings))
    findings.search.setText("stale")
    assert findings.model.rowCount() == 1
    findings.table.selectRow(0)
    findings.act("resolve")
    findings.comment_dialog.text.setPlainText("Adler confirmed no movement on 20 Nov")
    findings.comment_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
