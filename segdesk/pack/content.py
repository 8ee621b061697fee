"""What an audit pack says, as plain values: the PDF and the xlsx are two renderings of this.

Amounts are exact ``Decimal``; the renderings only format them (thousands separators, negatives
in parentheses), never round them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from segdesk.domain.reconcile import margin_ratio


@dataclass(frozen=True)
class Signature:
    """A sign-off: who signed the run in which role, when, and what they said."""

    role: str
    user: str
    at: dt.datetime
    comment: str


@dataclass(frozen=True)
class Verdict:
    """The one line an auditor reads first."""

    level: str  # "segregated" | "exceptions" | "shortfall"
    title: str
    detail: str


@dataclass(frozen=True)
class Figures:
    requirement: Decimal
    resources: Decimal
    excess: Decimal
    undermargined: Decimal
    buffer: Decimal


@dataclass(frozen=True)
class CurrencyRow:
    asset: str
    quantity: Decimal
    resources: Decimal
    requirement: Decimal
    excess: Decimal
    buffer: Decimal


@dataclass(frozen=True)
class Step:
    from_status: str | None
    to_status: str
    user: str
    at: dt.datetime
    comment: str


@dataclass(frozen=True)
class FindingRow:
    id: int
    kind: str
    severity: str
    sub_account: str | None
    external_account: str | None
    asset: str | None
    amount: Decimal
    status: str
    message: str
    evidence: tuple[tuple[str, str | None, int], ...]  # (file, sheet, row)
    history: tuple[Step, ...]


@dataclass(frozen=True)
class SubAccountRow:
    code: str
    name: str
    kind: str
    client: str | None
    equity: Decimal
    venue_equity: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal

    @property
    def margin_ratio(self) -> Decimal | None:
        return margin_ratio(self.venue_equity, self.maintenance_margin)


@dataclass(frozen=True)
class AccountRow:
    source: str
    source_kind: str
    account: str
    designation: str | None


@dataclass(frozen=True)
class MappingRow:
    source: str
    account: str
    reference: str | None
    sub_account: str
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(frozen=True)
class SourceFile:
    batch_id: int
    file_name: str
    sheet: str | None
    sha256: str
    rows: int
    source: str
    imported_by: str
    imported_at: dt.datetime
    attachment: str  # the name it is attached under in the PDF


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str | None
    detail: str
    hash: str


@dataclass(frozen=True)
class PackContent:
    entity: str
    as_of: dt.date
    run_id: int
    base_currency: str
    fingerprint: str
    run_created_by: str
    run_created_at: dt.datetime
    exported_by: str
    exported_at: dt.datetime
    verdict: Verdict
    signatures: dict[str, Signature]
    figures: Figures
    by_currency: tuple[CurrencyRow, ...]
    findings: tuple[FindingRow, ...]
    sub_accounts: tuple[SubAccountRow, ...]
    accounts: tuple[AccountRow, ...]
    mappings: tuple[MappingRow, ...]
    sources: tuple[SourceFile, ...]
    audit: tuple[AuditRow, ...]
    chain_head_seq: int
    chain_head: str
    generator: str = "SegDesk"
    notes: tuple[str, ...] = field(default=())

    @property
    def draft(self) -> bool:
        """Not yet approved by a reviewer: every page says DRAFT."""
        return "reviewer" not in self.signatures


def verdict_of(figures: Figures, findings: tuple[FindingRow, ...], base_currency: str, grouped_excess: str) -> Verdict:
    """Shortfall first, then unresolved critical findings, else segregated."""
    critical = [f for f in findings if f.severity == "critical" and f.status in ("open", "acknowledged")]
    if figures.excess < 0:
        return Verdict("shortfall", "Segregation shortfall",
                       f"Client money held in segregation falls short of the requirement by "
                       f"{grouped_excess.strip('()')} {base_currency}.")
    if critical:
        return Verdict("exceptions", "Segregated, with exceptions",
                       f"Resources cover the requirement (excess {grouped_excess} {base_currency}), but "
                       f"{len(critical)} critical finding(s) are not resolved or waived.")
    return Verdict("segregated", "Client money segregated",
                   f"Resources cover the requirement with an excess of {grouped_excess} {base_currency}; "
                   "no critical finding is open.")
