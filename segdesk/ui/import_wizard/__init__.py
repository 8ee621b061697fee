"""The import wizard (see wizard.py): recognise each file's saved profile or build a new one, preview
what the importer reads, save the profile, and import in the background with progress and Cancel."""

from segdesk.ui.import_wizard.common import FILE_DATE, FILES, IMPORT, REVIEW, SAVED_DATE
from segdesk.ui.import_wizard.wizard import ImportWizard

__all__ = ["FILES", "FILE_DATE", "IMPORT", "REVIEW", "SAVED_DATE", "ImportWizard"]
