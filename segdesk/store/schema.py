"""The database schema: SQLAlchemy 2.0 typed mappings for everything SPEC.md names.

Table classes are named after the thing they hold (no ``*Model``: that word belongs to Qt).
Every change to this file needs an Alembic migration; ``tests/store/test_migrations.py``
fails when the two disagree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from segdesk.store.types import COMPUTED_INTEGER_DIGITS, COMPUTED_PLACES, Money

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SOURCE_KINDS = ("custodian", "exchange", "ledger", "prices")
DESIGNATIONS = ("client_segregated", "omnibus_client", "proprietary")
SUB_ACCOUNT_KINDS = ("client", "proprietary", "buffer")
FINDING_STATUSES = ("open", "acknowledged", "resolved", "waived")
SIGN_OFF_ROLES = ("preparer", "reviewer")
# What a person may do once roles are in use (see services/identity.py): one role per duty.
PERSON_ROLES = ("admin", "importer", "chart", "preparer", "reviewer", "exporter")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Setting(Base):
    """Firm-wide settings: entity name, base currency."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Source(Base):
    __tablename__ = "sources"
    __table_args__ = (CheckConstraint(_in("kind", SOURCE_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))


class ExternalAccount(Base):
    __tablename__ = "external_accounts"
    __table_args__ = (
        UniqueConstraint("source_id", "account", name="uq_external_accounts_source_account"),
        CheckConstraint(f"designation IS NULL OR {_in('designation', DESIGNATIONS)}", name="designation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    account: Mapped[str] = mapped_column(String(200))
    # None: the account arrived on a statement before anyone put it in the chart.
    designation: Mapped[str | None] = mapped_column(String(30))

    source: Mapped[Source] = relationship()


class SubAccount(Base):
    __tablename__ = "sub_accounts"
    __table_args__ = (CheckConstraint(_in("kind", SUB_ACCOUNT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    client: Mapped[str | None] = mapped_column(String(300))
    base_currency: Mapped[str | None] = mapped_column(String(12))


class Mapping(Base):
    __tablename__ = "mappings"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_from <= valid_to", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_account_id: Mapped[int] = mapped_column(ForeignKey("external_accounts.id"), index=True)
    # None: every line of the account. A reference narrows the mapping to lines printing it.
    reference: Mapped[str | None] = mapped_column(String(200))
    sub_account_id: Mapped[int] = mapped_column(ForeignKey("sub_accounts.id"))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    external_account: Mapped[ExternalAccount] = relationship()
    sub_account: Mapped[SubAccount] = relationship()

    __mapper_args__ = {"version_id_col": version}


class ImportBatch(Base):
    """One imported file, kept whole: its bytes go into the audit pack."""

    __tablename__ = "import_batches"
    # The same bytes may be imported once per sheet: a workbook can hold two sources' statements.
    __table_args__ = (UniqueConstraint("sha256", "sheet", name="uq_import_batches_sha256_sheet"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    # "" for CSV/TXT: never NULL, so the unique constraint above holds for them too.
    sheet: Mapped[str] = mapped_column(String(200), default="")
    profile: Mapped[str] = mapped_column(Text)
    # The statement date when the whole file has one; None when dates come from a column.
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    row_count: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Set once every statement of this batch has been replaced by a later import.
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))

    source: Mapped[Source] = relationship()


class Statement(Base):
    """The balances one file reports for one (account, date): the unit that a later import supersedes."""

    __tablename__ = "statements"
    __table_args__ = (Index("ix_statements_account_as_of", "external_account_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    external_account_id: Mapped[int] = mapped_column(ForeignKey("external_accounts.id"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"))

    batch: Mapped[ImportBatch] = relationship()
    external_account: Mapped[ExternalAccount] = relationship()
    lines: Mapped[list[StatementLine]] = relationship(back_populates="statement", order_by="StatementLine.row")


class StatementLine(Base):
    __tablename__ = "statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"), index=True)
    sheet: Mapped[str | None] = mapped_column(String(200))
    row: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(200))
    asset: Mapped[str] = mapped_column(String(50))
    quantity: Mapped[Decimal] = mapped_column(Money)
    price: Mapped[Decimal | None] = mapped_column(Money)
    value: Mapped[Decimal | None] = mapped_column(Money)
    equity: Mapped[Decimal | None] = mapped_column(Money)
    initial_margin: Mapped[Decimal | None] = mapped_column(Money)
    maintenance_margin: Mapped[Decimal | None] = mapped_column(Money)

    statement: Mapped[Statement] = relationship(back_populates="lines")


class Price(Base):
    __tablename__ = "prices"
    __table_args__ = (Index("ix_prices_asset_as_of", "asset", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batches.id"), index=True)
    asset: Mapped[str] = mapped_column(String(50))
    as_of: Mapped[dt.date] = mapped_column(Date)
    price: Mapped[Decimal] = mapped_column(Money)
    sheet: Mapped[str | None] = mapped_column(String(200))
    row: Mapped[int] = mapped_column(Integer)
    # A later prices file for the same asset and date replaces this one (kept, audited).
    superseded_by_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class AssetTolerance(Base):
    """How far custodian and ledger quantities may differ before a balance_break (default 0)."""

    __tablename__ = "asset_tolerances"
    asset: Mapped[str] = mapped_column(String(50), primary_key=True)
    tolerance: Mapped[Decimal] = mapped_column(Money)


class Run(Base):
    """One reconciliation of one as-of date."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    base_currency: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # JSON list of {"batch": id, "sha256": ...} for every batch the run read.
    inputs: Mapped[str] = mapped_column(Text)
    # SHA-256 over the inputs and the chart in force: the same fingerprint means the same answer.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # JSON of the segregation statement and per sub-account figures, amounts as strings.
    results: Mapped[str] = mapped_column(Text)


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (CheckConstraint(_in("status", FINDING_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[dt.date] = mapped_column(Date)
    sub_account: Mapped[str | None] = mapped_column(String(100))
    external_account: Mapped[str | None] = mapped_column(String(401))
    asset: Mapped[str | None] = mapped_column(String(50))
    # quantity x price: up to 36 decimal places, kept exact
    amount: Mapped[Decimal] = mapped_column(Money(places=COMPUTED_PLACES, integer_digits=COMPUTED_INTEGER_DIGITS))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    # JSON list of {"file", "sheet", "row"}.
    evidence: Mapped[str] = mapped_column(Text)
    # Raised by every change; a change made from an older version is refused (optimistic locking).
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class FindingEvent(Base):
    """One step in a finding's life: who moved it, when, why."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    user: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str] = mapped_column(Text, default="")


class SignOff(Base):
    __tablename__ = "sign_offs"
    __table_args__ = (
        UniqueConstraint("run_id", "role", name="uq_sign_offs_run_role"),
        CheckConstraint(_in("role", SIGN_OFF_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    role: Mapped[str] = mapped_column(String(20))
    user: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class PersonRole(Base):
    """A role held by a person (the database login in team mode). With no row at all, roles are
    not in use: one person's desk, where whoever opens the file may do everything."""

    __tablename__ = "person_roles"
    __table_args__ = (
        UniqueConstraint("person", "role", name="uq_person_roles_person_role"),
        CheckConstraint(_in("role", PERSON_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person: Mapped[str] = mapped_column(String(200))  # as same_person() compares: casefolded, spaces single
    role: Mapped[str] = mapped_column(String(20))
    granted_by: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """An append-only, hash-chained record of every change.

    ``hash = SHA-256(previous hash + canonical event)``; database triggers refuse UPDATE and
    DELETE. ``at`` is stored as text so the canonical form never depends on a driver's
    datetime handling.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
