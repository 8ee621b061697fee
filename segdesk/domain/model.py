"""The plain values a reconciliation works on: no database, no GUI, only what SPEC.md names."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Hashable, Iterator, Sequence
from functools import partial
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple, TypeVar

T = TypeVar("T")

CLIENT, PROPRIETARY, BUFFER = "client", "proprietary", "buffer"
CLIENT_SEGREGATED, OMNIBUS_CLIENT = "client_segregated", "omnibus_client"
SEGREGATED_DESIGNATIONS = frozenset({CLIENT_SEGREGATED, OMNIBUS_CLIENT})
LEDGER = "ledger"

CRITICAL, HIGH, MEDIUM = "critical", "high", "medium"
SEVERITY_ORDER = {CRITICAL: 0, HIGH: 1, MEDIUM: 2}
ZERO = Decimal(0)


class SubAccount(NamedTuple):
    code: str
    name: str
    kind: str  # client | proprietary | buffer
    client: str | None = None


class Evidence(NamedTuple):
    """Where a number came from: the file, sheet (None for CSV) and row of one statement line."""

    file: str
    sheet: str | None
    row: int


_evidence = partial(tuple.__new__, Evidence)  # Evidence((file, sheet, row)) without a Python-level call


class MadeWhenRead(Sequence[T]):
    """A sequence whose values are made only when something reads them, once, and which is equal
    to the tuple of the same values. A reconciliation's long lists (a finding's evidence, a row
    per sub-account) are mostly written out as they are kept and never looked at one by one."""

    __slots__ = ("_all",)

    def __init__(self) -> None:
        self._all: tuple[T, ...] | None = None

    def _make(self) -> tuple[T, ...]:
        raise NotImplementedError

    def _tuple(self) -> tuple[T, ...]:
        if self._all is None:
            self._all = self._make()
        return self._all

    def __iter__(self) -> Iterator[T]:
        return iter(self._tuple())

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        return self._tuple()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (tuple, MadeWhenRead)):
            return self._tuple() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._tuple())


class EvidenceRows(MadeWhenRead[Evidence]):
    """A finding's evidence as runs of rows of one file and sheet, made into ``Evidence`` values
    only as they are read. One finding can name hundreds of thousands of lines (all client and
    proprietary money in one account); most of them are written to the database as these runs
    and never looked at one by one."""

    __slots__ = ("runs", "_size")

    def __init__(self, runs: list[tuple[str, str | None, list[int]]]) -> None:
        super().__init__()
        self.runs = runs  # (file, sheet, rows), in the evidence's order
        self._size = sum(len(rows) for _, _, rows in runs)

    def __len__(self) -> int:
        return self._size

    def _made(self) -> Iterator[Evidence]:
        return itertools.chain.from_iterable(
            map(_evidence, zip(itertools.repeat(file), itertools.repeat(sheet), rows)) for file, sheet, rows in self.runs
        )

    def _make(self) -> tuple[Evidence, ...]:
        return tuple(self._made())

    def __iter__(self) -> Iterator[Evidence]:
        return self._made() if self._all is None else iter(self._all)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if isinstance(index, slice) and (index.start or 0) >= 0 and index.stop is not None and index.stop >= 0 \
                and index.step in (None, 1) and self._all is None:
            return tuple(itertools.islice(self._made(), index.start or 0, index.stop))  # the first few, unmade rest
        return self._tuple()[index]

    def __repr__(self) -> str:
        return f"EvidenceRows({self._size} rows in {len(self.runs)} runs)"


class Line(NamedTuple):
    """One balance from a statement, with the account it sits in and where it came from: the
    readable form of a line for tests and small callers (``lines.statements_of`` turns lines
    into what a reconciliation reads). A reconciliation itself reads plain ``LineRow`` tuples."""

    source: str
    source_kind: str  # custodian | exchange | ledger
    account: str
    designation: str | None
    statement_date: dt.date
    asset: str
    quantity: Decimal
    evidence: Evidence
    reference: str | None = None
    price: Decimal | None = None
    value: Decimal | None = None
    equity: Decimal | None = None
    initial_margin: Decimal | None = None
    maintenance_margin: Decimal | None = None

    @property
    def external_account(self) -> str:
        return f"{self.source}:{self.account}"

    @property
    def has_margin(self) -> bool:
        return self.equity is not None or self.initial_margin is not None or self.maintenance_margin is not None


LineRow = tuple  # type: ignore[type-arg]
"""One statement line as a plain row, as a database returns it::

    (part, reference, asset, sheet, price,
     quantity, value, equity, initial_margin, maintenance_margin, row)

``part`` names the statement the line belongs to (a key of its ``Statement.files``). Amounts are Decimals or their exact text (as SQLite keeps them); either
becomes an exact Decimal when the line is valued. A reconciliation reads millions of these: a
plain tuple costs the least to make, and no per-line object is made from it.
"""


class Statement(NamedTuple):
    """What one (source, account) reported for one date, after supersedes. Its lines come
    separately (``ReconciliationInputs.lines``), each naming one of its ``files`` keys."""

    source: str
    source_kind: str
    account: str
    designation: str | None
    as_of: dt.date
    files: dict[Hashable, str]  # the part key its lines carry (the store: the statement id) -> their file
    lines: int  # how many lines it has

    @property
    def external_account(self) -> str:
        return f"{self.source}:{self.account}"


class MappingRule(NamedTuple):
    source: str
    account: str
    reference: str | None  # None: every line of the account
    sub_account: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class PricePoint:
    asset: str
    as_of: dt.date
    price: Decimal


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    as_of: dt.date
    amount: Decimal
    message: str
    sub_account: str | None = None
    external_account: str | None = None  # "SOURCE:ACCOUNT"
    asset: str | None = None
    evidence: Sequence[Evidence] = ()  # a tuple, or EvidenceRows

    @property
    def key(self) -> tuple[str, str, str | None, str | None, str | None]:
        """What makes a finding "the same" across re-runs (SPEC.md: kind, as-of, sub-account, account, asset)."""
        return (self.kind, self.as_of.isoformat(), self.sub_account, self.external_account, self.asset)


@dataclass(frozen=True)
class ReconciliationInputs:
    as_of: dt.date
    base_currency: str
    sub_accounts: tuple[SubAccount, ...]
    statements: tuple[Statement, ...]  # every live statement dated on or before as_of
    mappings: tuple[MappingRule, ...]
    prices: tuple[PricePoint, ...]  # live prices dated on or before as_of
    tolerances: dict[str, Decimal] = field(default_factory=dict)
    lines: Sequence[LineRow] = ()  # every line of those statements, in any order
