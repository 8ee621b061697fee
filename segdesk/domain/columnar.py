"""The reconciliation's per-line work on columns: the same sums and checks, made by Apache Arrow.

A million statement lines cost a Python loop several seconds (a Decimal, a few look-ups and a
dozen additions per line); Arrow does the same exact decimal arithmetic over whole columns in
compiled code. ``tally_columns`` makes the ``Totals`` the small checks read (segregated money per
asset, what nobody owns, what cannot be valued, the ledger's quantities), and keeps each
sub-account's money per account as columns, from which ``Tallied.holdings`` works out what
``checks.owned`` and the checks after it do (the requirement, margin per venue, commingling, the
schedule) and ``Tallied.attach_evidence`` finds each finding's lines. The per-line path
(``checks.tally`` and the rest of ``checks``) stays the reference this one is tested against:
tests/unit reconcile every fund both ways and require the same figures, findings and evidence.

Exactness is kept the way Arrow allows it, and anything it cannot promise is refused
(``NotColumnar``), never approximated; the caller then runs the per-line tally:

* amounts arrive as their exact text and are cast to the narrowest decimal type that holds every
  value of the column (a safe cast: a digit that would be lost raises);
* a product of two decimals has the exact type p1 + p2 + 1 digits, s1 + s2 places, up to 76; a
  product that would need more is refused on its type, before anything is computed;
* Arrow's sums do not check for overflow, so each sum is bounded first: rows x the largest
  absolute value must stay below the 76 digits of the sum's type.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import repeat
from typing import TypeVar

import pyarrow as pa
import pyarrow.acero  # noqa: F401 - Table.group_by's engine, imported with SegDesk rather than mid-reconcile
import pyarrow.compute as pc

from segdesk.domain.checks import (
    SubAccountFigures,
    Totals,
    Unmapped,
    VenueMargin,
    both_kinds_of_money,
    claim_of,
    misplaced_money,
)
from segdesk.domain.mapping import Resolved
from segdesk.domain.money import plain
from segdesk.domain.model import (
    BUFFER,
    CLIENT,
    LEDGER,
    PROPRIETARY,
    SEGREGATED_DESIGNATIONS,
    ZERO,
    EvidenceRows,
    Finding,
    MadeWhenRead,
    LineRow,
    Statement,
    SubAccount,
)
from segdesk.domain.valuation import PriceBook

# Arrow's default allocator (mimalloc) maps fresh pages from the system for each reconcile's large,
# short-lived columns; the C library's allocator reuses them. Measured on the 1M-line benchmark
# fund: the tally took 2.8 s with mimalloc, 1.4 s with the system's (and 1.3 s either way when run
# again in the same process). SegDesk is the only user of Arrow in its process.
pa.set_memory_pool(pa.system_memory_pool())

MONEY_COLUMNS = ("price", "quantity", "value", "equity", "initial_margin", "maintenance_margin")
MAX_DIGITS = 76  # decimal256
T = TypeVar("T")


class NotColumnar(Exception):
    """These lines cannot be summed exactly on columns; the per-line tally must do it."""


LINE_COLUMNS = ("part", "reference", "asset", "sheet", "price", "quantity", "value", "equity", "initial_margin",
                "maintenance_margin", "row")


@dataclass(frozen=True)
class Tallied:
    """The sums, and per line what the evidence pass needs to find a finding's lines again."""

    totals: Totals
    statements: list[Statement]
    accounts: list[str]  # each statement's external account, "SOURCE:ACCOUNT"
    files: list[str]  # the file of each statement part, by part number
    part_of: pa.Array  # per line: its part number
    statement_of: pa.Array  # per line: the index of its statement in the statements used
    sub_of: pa.Array  # per line: the index of its sub-account in sub_codes, -1 for none
    sub_codes: list[str]
    side_of: pa.Array  # per line: held by a client or proprietary sub-account (one side of commingling)
    asset_of: pa.Array  # per line: the index of its asset in asset_names
    asset_names: list[str]
    held: pa.Array  # per line: money held (not a ledger line)
    unvalued: pa.Array  # per line: held and left unvalued (a missing_price line)
    sheet: pa.Array
    row: pa.Array
    owned: pa.Table | None = None  # per (statement, sub): worth_sum
    margins: pa.Table | None = None  # per (statement, sub) with margin lines: over_sum, im_sum, mm_sum

    def holdings(self, subs: tuple[SubAccount, ...], kinds: dict[str, str], as_of: dt.date) -> Holdings:
        """What ``checks`` works out from each sub-account's money per account, worked out on the
        columns: the requirement and what clients are undermargined by, the commingling findings,
        the sub-accounts in deficit and the margins in breach (for ``checks.find_client_deficits``
        and ``find_margin_breaches``), and the margin per venue and the schedule as ``Figures``."""
        codes, accounts = self.sub_codes, self.accounts
        chart = sorted(subs, key=lambda s: s.code)
        owned = self.owned
        if owned is None or owned.num_rows == 0:
            return Holdings(ZERO, ZERO, [], {}, [], Figures(VenueMargin, [[]] * 5, ()),
                            _schedule(chart, {}, ({}, {}, {})))
        client = pa.array([kinds.get(code) == CLIENT for code in codes], pa.bool_())
        per_sub = _grouped({"sub": owned["sub"], "worth": owned["worth_sum"]}, None, ["sub"], ["worth"])
        sums = per_sub["worth_sum"]
        zero = pa.scalar(Decimal(0), sums.type)
        clients = pc.take(client, per_sub["sub"])
        requirement = _total(sums.filter(pc.and_(clients, pc.greater(sums, zero))))  # a deficit nets nothing
        below = pc.and_(clients, pc.less(sums, zero))
        deficits = dict(zip(map(codes.__getitem__, per_sub["sub"].filter(below).to_pylist()),
                            _decimal_list(sums.filter(below)), strict=True))
        equity = dict(zip(map(codes.__getitem__, per_sub["sub"].to_pylist()), _plain_texts(sums), strict=True))
        margins = Figures(VenueMargin, [[]] * 5, ())
        breaches: list[VenueMargin] = []
        venue: tuple[dict[str, str], dict[str, str], dict[str, str]] = ({}, {}, {})
        short = ZERO
        if self.margins is not None and self.margins.num_rows:
            margins, breaches, venue, short = self._venue_margins(owned, codes, accounts, client)
        findings = _commingling(owned, codes, accounts, [s.designation for s in self.statements], kinds, as_of)
        return Holdings(requirement, short, findings, deficits, breaches, margins, _schedule(chart, equity, venue))

    def _venue_margins(self, owned: pa.Table, codes: list[str], accounts: list[str], client: pa.Array
                       ) -> tuple[Figures, list[VenueMargin], tuple[dict[str, str], ...], Decimal]:
        """``checks.venue_margins`` on columns; those in breach of their initial or maintenance
        margin; per sub-account the sums over its venues; what clients are undermargined by
        (``checks.undermargined``)."""
        margins = self.margins
        assert margins is not None
        at_venues = owned.filter(pc.is_in(owned["statement"], value_set=pc.unique(margins["statement"])))
        joined = at_venues.join(margins, keys=["statement", "sub"], join_type="left outer", use_threads=False)
        n = joined.num_rows
        equity = _add(joined["worth_sum"].combine_chunks(), _coalesce(joined["over_sum"].combine_chunks(), _zeros(n)))
        im = _coalesce(joined["im_sum"].combine_chunks(), _zeros(n))
        mm = _coalesce(joined["mm_sum"].combine_chunks(), _zeros(n))
        table = pa.table({"statement": joined["statement"], "sub": joined["sub"], "equity": equity, "im": im, "mm": mm})
        table = _in_order(table, codes, accounts)
        equity, im, mm = (table[name].combine_chunks() for name in ("equity", "im", "mm"))
        subs = list(map(codes.__getitem__, table["sub"].to_pylist()))
        places = list(map(accounts.__getitem__, table["statement"].to_pylist()))
        found = Figures(VenueMargin, [subs, places, *map(_plain_texts, (equity, im, mm))], (2, 3, 4))
        # Only the margins below their initial or maintenance margin become values for the checks.
        kind = _common(equity, im, mm)
        breach = pc.or_(pc.less(equity.cast(kind), mm.cast(kind)), pc.less(equity.cast(kind), im.cast(kind)))
        picked = table.filter(breach)
        breaches = list(map(partial(tuple.__new__, VenueMargin), zip(
            map(codes.__getitem__, picked["sub"].to_pylist()), map(accounts.__getitem__, picked["statement"].to_pylist()),
            *(_decimal_list(picked[name]) for name in ("equity", "im", "mm")), strict=True)))
        if pc.count_distinct(table["sub"]).as_py() == table.num_rows:  # one venue each: its own figures
            per_sub = tuple(dict(zip(subs, texts, strict=True)) for texts in found.columns[2:])
        else:
            sums = _grouped({"sub": table["sub"], "equity": equity, "im": im, "mm": mm}, None, ["sub"],
                            ["equity", "im", "mm"])
            named = list(map(codes.__getitem__, sums["sub"].to_pylist()))
            per_sub = tuple(dict(zip(named, _plain_texts(sums[f"{name}_sum"]), strict=True))
                            for name in ("equity", "im", "mm"))
        short = _subtract(mm, equity)
        clients_short = pc.and_(pc.take(client, table["sub"]), pc.greater(short, pa.scalar(Decimal(0), short.type)))
        return found, breaches, per_sub, _total(short.filter(clients_short))

    def attach_evidence(self, findings: list[Finding]) -> list[Finding]:
        """``checks.attach_evidence`` on columns: each finding with the statement lines (file,
        sheet, row) behind it, in the same order, found by one filter per kind of claim."""
        claims = {claim for f in findings if (claim := claim_of(f)) is not None}
        found: dict[tuple, EvidenceRows] = {}  # type: ignore[type-arg]
        if claims and len(self.row):
            found = self._evidence(claims)
        return [f if (claim := claim_of(f)) is None else dataclasses.replace(f, evidence=found.get(claim, ()))
                for f in findings]

    def _evidence(self, claims: set[tuple]) -> dict[tuple, EvidenceRows]:  # type: ignore[type-arg]
        statement_index = {account: i for i, account in enumerate(self.accounts)}
        sub_index = {code: i for i, code in enumerate(self.sub_codes)}
        asset_index = {name: i for i, name in enumerate(self.asset_names)}
        n_statements, n_assets = len(self.statements), max(len(self.asset_names), 1)
        statement = self.statement_of.cast(pa.int64())
        sub, asset = self.sub_of.cast(pa.int64()), self.asset_of.cast(pa.int64())
        mapped = pc.not_equal(sub, -1)
        # Per kind of claim: which lines may belong to one, and each line's key for it.
        kinds = {
            "statement": (None, statement, lambda c: statement_index.get(c[1])),
            "both sides": (pc.and_(self.held, self.side_of), statement, lambda c: statement_index.get(c[1])),
            "owned": (pc.and_(self.held, mapped), _key(sub, statement, n_statements),
                      lambda c: _pair(sub_index.get(c[1]), statement_index.get(c[2]), n_statements)),
            "sub-account": (pc.and_(self.held, mapped), sub, lambda c: sub_index.get(c[1])),
            "asset": (mapped, _key(sub, asset, n_assets),
                      lambda c: _pair(sub_index.get(c[1]), asset_index.get(c[2]), n_assets)),
            "unmapped": (pc.invert(mapped), _key(statement, asset, n_assets),
                         lambda c: _pair(statement_index.get(c[1]), asset_index.get(c[2]), n_assets)),
            "unvalued": (self.unvalued, _key(_key(pc.add(sub, 1), statement, n_statements), asset, n_assets),
                         lambda c: _pair(_pair(-1 if c[1] is None else sub_index.get(c[1]), statement_index.get(c[2]),
                                               n_statements, shift=1), asset_index.get(c[3]), n_assets)),
        }
        # Files in name order, as the evidence is sorted: (file, sheet, row).
        names = sorted(set(self.files))
        rank = {name: i for i, name in enumerate(names)}
        file_rank = pc.take(pa.array([rank[f] for f in self.files], pa.int32()), self.part_of)
        sheets = pc.dictionary_encode(self.sheet.cast(pa.string()))
        sheet_names = [None, *sheets.dictionary.to_pylist()]
        sheet_code = pc.add(pc.fill_null(sheets.indices.cast(pa.int32()), -1), 1)  # 0: no sheet
        sheet_order = pc.fill_null(self.sheet.cast(pa.string()), "")
        found: dict[tuple, EvidenceRows] = {}  # type: ignore[type-arg]
        for kind, (eligible, key, claim_key) in kinds.items():
            wanted = {}
            for claim in claims:
                if claim[0] == kind and (k := claim_key(claim)) is not None:
                    wanted[k] = claim
            if not wanted:
                continue
            where = pc.is_in(key, value_set=pa.array(list(wanted), pa.int64()))
            if eligible is not None:
                where = pc.and_(where, eligible)
            picked = pa.table({"key": key, "file": file_rank, "sheet": sheet_code, "order": sheet_order,
                               "row": self.row}).filter(where)
            if kind == "statement":  # every line of the statement, by row (then file, sheet)
                picked = picked.sort_by([("key", "ascending"), ("row", "ascending"), ("file", "ascending"),
                                         ("order", "ascending"), ("sheet", "ascending")])
            else:  # each line once, by file, sheet and row
                picked = _distinct(picked.sort_by([("key", "ascending"), ("file", "ascending"), ("order", "ascending"),
                                                   ("row", "ascending"), ("sheet", "ascending")]))
            rows = picked["row"].to_pylist()
            # Runs of one claim, file and sheet: a finding's evidence is its runs (EvidenceRows).
            width = len(sheet_names) * max(len(names), 1)
            run_key = _key(_key(picked["key"], picked["file"].cast(pa.int64()), max(len(names), 1)),
                           picked["sheet"].cast(pa.int64()), len(sheet_names))
            runs = pc.run_end_encode(run_key.combine_chunks())
            claimed: dict[tuple, list[tuple[str, str | None, list[int]]]] = {}  # type: ignore[type-arg]
            start = 0
            for code, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
                k, rest = divmod(code, width)
                file, sheet = divmod(rest, len(sheet_names))
                claimed.setdefault(wanted[k], []).append((names[file], sheet_names[sheet], rows[start:end]))
                start = end
            found.update((claim, EvidenceRows(runs)) for claim, runs in claimed.items())
        return found


def _distinct(table: pa.Table) -> pa.Table:
    """The rows of a sorted table that differ from the row before them: each once."""
    n = table.num_rows
    if n < 2:
        return table
    differs = None
    for name in table.column_names:
        column = table[name].combine_chunks()
        change = pc.not_equal(column.slice(1), column.slice(0, n - 1))
        differs = change if differs is None else pc.or_(differs, change)
    return table.filter(pa.concat_arrays([pa.array([True]), differs]))


@dataclass(frozen=True)
class Holdings:
    requirement: Decimal  # checks.client_requirement
    undermargined: Decimal  # checks.undermargined
    commingling: list[Finding]
    deficits: dict[str, Decimal]  # the clients whose equity is below zero, and their equity
    breaches: list[VenueMargin]  # the margins below their initial or maintenance margin
    margins: Figures  # VenueMargin per (sub-account, venue), in that order
    schedule: Figures  # SubAccountFigures per sub-account of the chart, by code


class Figures(MadeWhenRead[T]):
    """Rows of a named tuple kept as columns, its amounts as their exact plain text, and made into
    the named tuples (Decimals and all) only when read. A run's schedule and venue margins have a
    row per sub-account: most of them are only ever written out as text (``texts``)."""

    __slots__ = ("kind", "columns", "money")

    def __init__(self, kind: type[T], columns: list[list], money: tuple[int, ...]) -> None:  # type: ignore[type-arg]
        super().__init__()
        self.kind, self.columns, self.money = kind, columns, money

    def texts(self, index: int) -> list:  # type: ignore[type-arg]
        """Column ``index`` as it is kept: an amount column as plain text (``money.plain``)."""
        return self.columns[index]

    def _make(self) -> tuple[T, ...]:
        columns = [list(map(Decimal, c)) if i in self.money else c for i, c in enumerate(self.columns)]
        return tuple(map(partial(tuple.__new__, self.kind), zip(*columns, strict=True)))

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def __repr__(self) -> str:
        return f"Figures({self.kind.__name__}, {len(self)} rows)"


def _schedule(chart: list[SubAccount], equity: dict[str, str], venue: tuple[dict[str, str], ...]) -> Figures:
    """The sub-account schedule (``reconcile._schedule``) as ``Figures``: every sub-account of the
    chart by code, its equity, and its equity and margins over its venues, amounts as text."""
    codes = [s.code for s in chart]
    return Figures(SubAccountFigures, [codes, [s.name for s in chart], [s.kind for s in chart],
                                       *(list(map(sums.get, codes, repeat("0"))) for sums in (equity, *venue))],
                   (3, 4, 5, 6))


def _plain_texts(column: pa.Array | pa.ChunkedArray) -> list[str]:
    """A decimal column as exact plain text, as ``money.plain`` writes each value."""
    text = _stripped(column)
    found = text.to_pylist()
    for i in pc.indices_nonzero(pc.match_substring(text, "E")).to_pylist():  # Arrow writes 1E-7; plain does not
        found[i] = plain(Decimal(found[i]))
    return found


def _stripped(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A decimal column as text without its scale's trailing zeros ("12.3400" is 12.34)."""
    text = pc.replace_substring_regex(column.cast(pa.string()), r"\.0+$", "")
    return pc.replace_substring_regex(text, r"(\.[0-9]*[1-9])0+$", r"\1")


def _total(column: pa.Array | pa.ChunkedArray) -> Decimal:
    """The exact sum of a column (bounded first: see ``_summable``)."""
    column = column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column], column.type)
    total = pc.sum(_summable(column)[0], min_count=0).as_py()
    return ZERO if total is None else Decimal(plain(total))


def _in_order(table: pa.Table, codes: list[str], accounts: list[str]) -> pa.Table:
    """Rows of (statement, sub) keys by sub-account code, then account: the order of ``checks.owned``."""
    sub_rank = {code: i for i, code in enumerate(sorted(codes))}
    account_rank = {name: i for i, name in enumerate(sorted(accounts))}
    ranked = table.append_column("_sub", pc.take(pa.array([sub_rank[c] for c in codes], pa.int32()), table["sub"]))
    ranked = ranked.append_column("_account", pc.take(pa.array([account_rank[a] for a in accounts], pa.int32()),
                                                      table["statement"]))
    return ranked.sort_by([("_sub", "ascending"), ("_account", "ascending")]).drop_columns(["_sub", "_account"])


def _commingling(owned: pa.Table, codes: list[str], accounts: list[str], designations: list[str | None],
                 kinds: dict[str, str], as_of: dt.date) -> list[Finding]:
    """``checks.find_commingling`` on columns: only the (sub-account, account) pairs that break a
    rule, and the per-account sums of each side, become Python values."""
    kind = [kinds.get(code) for code in codes]
    client = pc.take(pa.array([k == CLIENT for k in kind], pa.bool_()), owned["sub"])
    firm = pc.take(pa.array([k == PROPRIETARY for k in kind], pa.bool_()), owned["sub"])
    in_proprietary = pc.take(pa.array([d == PROPRIETARY for d in designations], pa.bool_()), owned["statement"])
    in_segregated = pc.take(pa.array([d in SEGREGATED_DESIGNATIONS for d in designations], pa.bool_()),
                            owned["statement"])
    breaking = owned.filter(pc.or_(pc.and_(client, in_proprietary), pc.and_(firm, in_segregated)))
    findings = [
        misplaced_money(codes[sub], kind[sub], accounts[index], designations[index], amount, as_of)  # type: ignore[arg-type]
        for index, sub, amount in zip(breaking["statement"].to_pylist(), breaking["sub"].to_pylist(),
                                      _decimal_list(breaking["worth_sum"]), strict=True)
    ]
    columns = {"statement": owned["statement"], "worth": owned["worth_sum"]}
    client_side = _sums(columns, client, ["statement"], ["worth"])
    firm_side = _sums(columns, firm, ["statement"], ["worth"])
    clients = dict(zip(client_side["statement"], client_side["worth"], strict=True))
    firms = dict(zip(firm_side["statement"], firm_side["worth"], strict=True))
    findings.extend(both_kinds_of_money(accounts[index], clients[index], firms[index], as_of)
                    for index in sorted(clients.keys() & firms.keys(), key=accounts.__getitem__))
    return findings


def _decimal_list(column: pa.Array | pa.ChunkedArray) -> list[Decimal]:
    """Exact Decimals, by way of text: Decimal() of text is faster than Arrow's own conversion. The
    trailing zeros of the column's scale go first ("12.3400" is 12.34), so each Decimal writes
    itself out plainly at once (``money.plain``), as the per-line tally's mostly do."""
    return list(map(Decimal, _stripped(column).to_pylist()))


def _key(a: pa.Array, b: pa.Array, width: int) -> pa.Array:
    """a x width + b, refused rather than wrapped around past 64 bits."""
    try:
        return pc.add_checked(pc.multiply_checked(a, width), b)
    except pa.ArrowInvalid as e:
        raise NotColumnar(f"too many keys to number: {e}") from e


def _pair(a: int | None, b: int | None, width: int, shift: int = 0) -> int | None:
    return None if a is None or b is None else (a + shift) * width + b


def tally_columns(statements: list[Statement], lines: pa.Table, rules: Resolved, book: PriceBook,
                  kinds: dict[str, str]) -> Tallied:
    """``checks.tally`` over a table of lines with the columns of ``model.LineRow`` (part,
    reference, asset, sheet, price, quantity, value, equity, initial_margin, maintenance_margin,
    row), amounts as exact text. ``rules``: the mappings resolved for ``statements``
    (``MappingTable.resolved``). Raises ``NotColumnar`` where exactness cannot be promised."""
    totals = Totals()
    parts, index_of = [], []
    for index, s in enumerate(statements):
        for part in s.files:
            parts.append(part)
            index_of.append(index)
    try:
        part_array = pa.array(parts) if parts else pa.array([], lines.schema.field("part").type)
        position = pc.index_in(lines["part"], value_set=part_array)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
        raise NotColumnar(f"statement keys: {e}") from e
    lines = lines.filter(pc.is_valid(position))
    position = position.filter(pc.is_valid(position))
    files = [statements[index_of[k]].files[part] for k, part in enumerate(parts)]
    accounts = [s.external_account for s in statements]
    if lines.num_rows == 0:
        nothing = pa.array([], pa.int32())
        return Tallied(totals, statements, accounts, files, nothing, nothing, nothing, [], pa.array([], pa.bool_()),
                       nothing, [],
                       pa.array([], pa.bool_()), pa.array([], pa.bool_()), pa.array([], pa.string()), nothing)
    statement_of = pc.take(pa.array(index_of, pa.int32()), position)  # per line: its statement's index
    n = lines.num_rows

    # --- who owns each line: the mappings resolved once per statement, then looked up per line --
    sub_codes, sub_of = _owners(statement_of, lines["reference"], rules)
    mapped = pc.not_equal(sub_of, -1)
    sub_kinds = [kinds.get(code) for code in sub_codes] + [None]
    safe_sub = pc.if_else(mapped, sub_of, len(sub_codes))
    client = pc.take(pa.array([k == CLIENT for k in sub_kinds], pa.bool_()), safe_sub)
    buffer = pc.take(pa.array([k == BUFFER for k in sub_kinds], pa.bool_()), safe_sub)
    ledger = pc.take(pa.array([s.source_kind == LEDGER for s in statements], pa.bool_()), statement_of)
    held = pc.invert(ledger)
    segregated = pc.take(pa.array([s.designation in SEGREGATED_DESIGNATIONS for s in statements], pa.bool_()),
                         statement_of)
    compare = any(s.source_kind == LEDGER for s in statements)

    # --- exact amounts ------------------------------------------------------------------------
    assets = pc.dictionary_encode(lines["asset"]).combine_chunks()
    asset_names = assets.dictionary.to_pylist()
    asset_of = assets.indices
    money = {name: _decimals(lines[name], name) for name in MONEY_COLUMNS}
    own_price = money["price"]
    book_price = pc.take(_decimal_array([book.price_of(a) for a in asset_names]), asset_of)
    price = _coalesce(own_price, book_price)
    quantity = money["quantity"]
    if quantity.null_count:
        raise NotColumnar("a line has no quantity")
    equity = money["equity"]
    printed = pc.is_valid(money["value"])
    priced = pc.is_valid(price)
    units = _coalesce(equity, quantity)  # equity if the line prints it, else its quantity
    product = _multiply(units, price)
    worth = _coalesce(money["value"], product, _zeros(n))  # an unpriced line counts as nothing
    columns = {"statement": statement_of, "sub": sub_of, "asset": asset_of, "quantity": quantity, "worth": worth}

    # --- sums per (account, sub-account), per asset, per (client, asset) ----------------------
    held_mapped = pc.and_(held, mapped)
    # Per (account, sub-account): the sub-account's money there. Kept as columns: the checks
    # over it run on columns too (``Tallied.holdings``).
    owned = _grouped(columns, held_mapped, ["statement", "sub"], ["worth"])

    columns["buffer_worth"] = _choose(buffer, worth, _zeros(n))
    sums = _sums(columns, pc.and_(held, segregated), ["asset"], ["quantity", "worth", "buffer_worth"])
    for asset, qty, value, buffered in zip(sums["asset"], sums["quantity"], sums["worth"], sums["buffer_worth"],
                                           strict=True):
        totals.segregated[asset_names[asset]] = [qty, value, buffered]

    totals.assets = {asset_names[a] for a in pc.unique(asset_of.filter(held)).to_pylist()}

    # What clients need per asset: each client's positive value of it (a deficit in one asset
    # is not netted against another client's, nor here against the same client's other assets).
    per_client = _grouped(columns, pc.and_(held_mapped, client), ["sub", "asset"], ["worth"])
    sums = per_client["worth_sum"]
    positive = pc.greater(sums, pa.scalar(Decimal(0), sums.type))
    needed = _sums({"asset": per_client["asset"], "worth": sums}, positive, ["asset"], ["worth"])
    totals.client_requirement = {asset_names[a]: v for a, v in zip(needed["asset"], needed["worth"], strict=True)}
    if compare:
        reported = _sums(columns, held_mapped, ["sub", "asset"], ["quantity"])
        totals.reported = {(sub_codes[s], asset_names[a]): q
                           for s, a, q in zip(reported["sub"], reported["asset"], reported["quantity"], strict=True)}
        booked = _sums(columns, pc.and_(ledger, mapped), ["sub", "asset"], ["quantity"])
        totals.booked = {(sub_codes[s], asset_names[a]): q
                         for s, a, q in zip(booked["sub"], booked["asset"], booked["quantity"], strict=True)}
        # The first price a statement printed for (sub-account, asset): few lines print one.
        printed_price = pc.and_(pc.is_valid(own_price), mapped)
        if pc.any(printed_price).as_py():
            picked = pa.table({"statement": statement_of, "sub": sub_of, "asset": asset_of, "row": lines["row"],
                               "price": own_price}).filter(printed_price)
            for index, sub, asset, row, amount in zip(*(picked[c].to_pylist() for c in picked.column_names),
                                                      strict=True):
                key = (sub_codes[sub], asset_names[asset])
                found = totals.own_prices.get(key)
                if found is None or (index, row) < found[:2]:
                    totals.own_prices[key] = (index, row, amount)

    # --- margin per (sub-account, venue): on the lines that carry margin fields only -----------
    margined = pc.or_(pc.or_(pc.is_valid(equity), pc.is_valid(money["initial_margin"])),
                      pc.is_valid(money["maintenance_margin"]))
    venue_lines = pc.and_(held_mapped, margined)
    margins = None
    if pc.any(venue_lines).as_py():
        margins = _margins({
            "statement": statement_of, "sub": sub_of, "price": price, "equity": equity, "worth": worth,
            "printed": printed, "im": money["initial_margin"], "mm": money["maintenance_margin"],
        }, venue_lines)

    # --- what nobody owns, and what could not be valued: few lines, looked at one by one -------
    unpriced = pc.and_(held, pc.and_(pc.invert(priced), pc.or_(pc.invert(printed), margined)))
    if pc.any(unpriced).as_py():
        picked = pa.table({"statement": statement_of, "sub": sub_of, "asset": asset_of}).filter(unpriced)
        for index, sub, asset in zip(*(picked[c].to_pylist() for c in picked.column_names), strict=True):
            totals.unvalued.add((None if sub < 0 else sub_codes[sub], accounts[index], asset_names[asset]))
    nobody = pc.invert(mapped)
    if pc.any(nobody).as_py():
        picked = pa.table({"statement": statement_of, "asset": asset_of, "reference": lines["reference"],
                           "worth": worth.cast(pa.string())}).filter(nobody)
        for index, asset, reference, amount in zip(*(picked[c].to_pylist() for c in picked.column_names),
                                                    strict=True):
            key = (accounts[index], asset_names[asset])
            found = totals.unmapped.get(key)
            if found is None:
                found = totals.unmapped[key] = Unmapped()
            if reference:
                found.references.add(reference)
            if statements[index].source_kind == LEDGER:
                found.ledger = True
            else:
                found.amount += Decimal(amount)
    side_of = pc.take(pa.array([k in (CLIENT, PROPRIETARY) for k in sub_kinds], pa.bool_()), safe_sub)
    return Tallied(totals, statements, accounts, files, position, statement_of, sub_of, sub_codes, side_of, asset_of,
                   asset_names, held, unpriced, lines["sheet"].combine_chunks(), lines["row"].combine_chunks(),
                   owned, margins)


def _owners(statement_of: pa.Array, references: pa.ChunkedArray, rules: Resolved) -> tuple[list[str], pa.Array]:
    """Each line's sub-account (an index into the codes returned, -1 for none), as
    ``MappingTable.sub_account_of`` decides it, with the rules resolved once for all statements."""
    encoded = pc.dictionary_encode(references).combine_chunks()
    names = encoded.dictionary
    width = len(names) + 1
    # Each (statement, reference) as one integer: the statement's index, and 0 for no reference.
    line_keys = _key(statement_of.cast(pa.int64()), pc.add(pc.fill_null(encoded.indices.cast(pa.int64()), -1), 1),
                     width)
    blanks, named = rules
    codes: dict[str, int] = {}
    blank_of = [-1 if sub is None else codes.setdefault(sub, len(codes)) for sub in blanks]
    rule_index = [index for index, _ in named]
    rule_reference = [reference for _, reference in named]
    rule_sub = [codes.setdefault(sub, len(codes)) for sub in named.values()]
    present = pc.index_in(pa.array(rule_reference, pa.string()), value_set=names.cast(pa.string()))
    keep = pc.is_valid(present)  # rules for references no line carries play no part
    rule_keys = _key(pa.array(rule_index, pa.int64()).filter(keep), pc.add(present.filter(keep).cast(pa.int64()), 1),
                     width)
    by_rule = pc.take(pa.array(rule_sub, pa.int32()).filter(keep), pc.index_in(line_keys, value_set=rule_keys))
    sub_of = pc.coalesce(by_rule, pc.take(pa.array(blank_of, pa.int32()), statement_of))
    return list(codes), sub_of


def _margins(columns: dict[str, pa.Array], where: pa.Array) -> pa.Table:
    """Per (account, sub-account) of the lines ``where`` (mapped, held, carrying margin fields): what
    their equity adds over their value, and their valued initial and maintenance margin."""
    c = {name: column.filter(where) for name, column in columns.items()}
    n = len(c["sub"])
    priced, has_equity = pc.is_valid(c["price"]), pc.is_valid(c["equity"])
    # Equity printed beside a printed value counts instead of it (at its price); unpriced, what the
    # line is worth is taken back out (it carries its own missing_price finding).
    instead = pc.and_(priced, pc.and_(has_equity, c["printed"]))
    dropped = pc.and_(pc.invert(priced), has_equity)
    over = _zeros(n)
    if pc.any(instead).as_py():
        over = _choose(instead, _subtract(_multiply(c["equity"], c["price"]), c["worth"]), over)
    if pc.any(dropped).as_py():
        over = _choose(dropped, _subtract(_zeros(n), c["worth"]), over)
    return _grouped({
        "statement": c["statement"], "sub": c["sub"], "over": over,
        "im": _coalesce(_multiply(c["im"], c["price"]), _zeros(n)),
        "mm": _coalesce(_multiply(c["mm"], c["price"]), _zeros(n)),
    }, None, ["statement", "sub"], ["over", "im", "mm"])


# --- exact decimal columns ------------------------------------------------------------------------


def _decimals(column: pa.ChunkedArray | pa.Array, name: str) -> pa.Array:
    """A column of exact decimal text as the narrowest decimal type that holds every value (the
    cast itself proves it: it refuses to drop a digit)."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if column.null_count == len(column):
        return pa.nulls(len(column), pa.decimal128(1, 0))
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        # SQLite keeps money as text; anything else (a float stored by another program) is not ours
        raise NotColumnar(f"{name} is stored as {column.type}, not as exact text")
    dot = pc.find_substring(column, ".")
    length = pc.utf8_length(column)
    has_dot = pc.greater_equal(dot, 0)
    places = pc.max(pc.if_else(has_dot, pc.subtract(pc.subtract(length, dot), 1), 0)).as_py() or 0
    negative = pc.starts_with(column, "-").cast(pa.int32())
    digits = max(pc.max(pc.subtract(pc.if_else(has_dot, dot, length), negative)).as_py() or 1, 1)
    if digits + places > MAX_DIGITS // 2:
        raise NotColumnar(f"{name} has more digits than a product can hold")
    try:
        return pc.cast(column, _decimal(digits + places, places))  # safe: refuses to drop a digit
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise NotColumnar(f"{name}: {e}") from e


def _decimal_array(values: list[Decimal | None]) -> pa.Array:
    present = [v for v in values if v is not None]
    if not present:
        return pa.nulls(len(values), pa.decimal128(1, 0))
    shapes = [v.as_tuple() for v in present]
    places = max(max(-t.exponent, 0) for t in shapes)  # type: ignore[operator]
    whole = max(max(len(t.digits) + t.exponent, 1) for t in shapes)  # type: ignore[operator]
    width = whole + places
    if width > MAX_DIGITS // 2:
        raise NotColumnar("a price has more digits than a product can hold")
    return pa.array(values, _decimal(width, places))


def _common(*arrays: pa.Array) -> pa.DataType:
    """The narrowest decimal type that holds every value of each array exactly."""
    places = max(a.type.scale for a in arrays)
    whole = max(a.type.precision - a.type.scale for a in arrays)
    if whole + places > MAX_DIGITS:
        raise NotColumnar("amounts too wide to combine exactly")
    return _decimal(max(whole + places, 1), places)


def _decimal(precision: int, scale: int) -> pa.DataType:
    """128 bits where the digits fit (Arrow's arithmetic on them is several times faster), else 256."""
    return pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)


def _coalesce(*arrays: pa.Array) -> pa.Array:
    kind = _common(*arrays)
    return pc.coalesce(*(a.cast(kind) for a in arrays))


def _multiply(a: pa.Array, b: pa.Array) -> pa.Array:
    if a.type.precision + b.type.precision + 1 > 38:  # the product's exact type needs 256 bits
        a, b = a.cast(pa.decimal256(a.type.precision, a.type.scale)), b.cast(pa.decimal256(b.type.precision, b.type.scale))
    try:
        return pc.multiply(a, b)  # exact; refused on its type when the product could need > 76 digits
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise NotColumnar(f"a product too wide to compute exactly: {e}") from e


def _subtract(a: pa.Array, b: pa.Array) -> pa.Array:
    kind = _common(a, b)
    if kind.precision + 1 > MAX_DIGITS:
        raise NotColumnar("a difference too wide to compute exactly")
    kind = _decimal(kind.precision + 1, kind.scale)  # a difference can need one more digit
    return pc.subtract(a.cast(kind), b.cast(kind))


def _add(a: pa.Array, b: pa.Array) -> pa.Array:
    kind = _common(a, b)
    if kind.precision + 1 > MAX_DIGITS:
        raise NotColumnar("a sum too wide to compute exactly")
    kind = _decimal(kind.precision + 1, kind.scale)  # a sum of two can need one more digit
    return pc.add(a.cast(kind), b.cast(kind))


def _choose(condition: pa.Array, a: pa.Array, b: pa.Array) -> pa.Array:
    kind = _common(a, b)
    return pc.if_else(condition, a.cast(kind), b.cast(kind))


def _zeros(n: int) -> pa.Array:
    return pa.repeat(pa.scalar(Decimal(0), pa.decimal128(1, 0)), n)


def _grouped(columns: dict[str, pa.Array], where: pa.Array | None, keys: list[str], values: list[str]) -> pa.Table:
    """A table of ``keys`` and the exact ``<value>_sum`` per key, over the lines ``where`` is true."""
    picked = pa.table({name: columns[name] for name in keys + values})
    if where is not None:
        picked = picked.filter(where)
    digits = {}
    for name in values:
        column, digits[name] = _summable(picked[name])
        picked = picked.set_column(picked.column_names.index(name), name, column)
    grouped = picked.group_by(keys, use_threads=False).aggregate([(name, "sum") for name in values])
    # Arrow types a sum as 38 or 76 digits whatever it holds; narrowed to what the bound allows, a
    # sum can still be added to or subtracted from (exactly, with a digit to spare) afterwards.
    for name in values:
        column = grouped[f"{name}_sum"]
        kind = _decimal(digits[name], column.type.scale)
        if kind != column.type:
            try:
                column = column.cast(kind)  # safe: refuses to drop a digit
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise NotColumnar(f"a sum did not fit its bound: {e}") from e
            grouped = grouped.set_column(grouped.column_names.index(f"{name}_sum"), f"{name}_sum", column)
    return grouped


def _sums(columns: dict[str, pa.Array], where: pa.Array | None, keys: list[str],
          values: list[str]) -> dict[str, list]:  # type: ignore[type-arg]
    """Sum ``values`` per ``keys`` over the lines ``where`` is true: keys as ints, sums as Decimals."""
    grouped = _grouped(columns, where, keys, values)
    out: dict[str, list] = {name: grouped[name].to_pylist() for name in keys}  # type: ignore[type-arg]
    for name in values:
        out[name] = _decimal_list(grouped[f"{name}_sum"])
    return out


def _summable(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int]:
    """The column in a type whose sum cannot overflow, and how many digits any sum of it can need:
    Arrow's sums wrap around without a word, so rows x the largest absolute value must stay below
    the sum type's digits (38 for 128 bits, then 76), or the sum is refused."""
    rows = len(column)
    scale = column.type.scale
    if rows == 0:
        return column, max(column.type.precision, 1)
    extremes = pc.min_max(column).as_py()
    largest = max(abs(extremes["min"] or ZERO), abs(extremes["max"] or ZERO)) * rows
    needed = max(len(str(int(largest))), 1) + scale  # the whole digits of the bound, and the places
    if largest < Decimal(10) ** (38 - scale) and pa.types.is_decimal128(column.type):
        return column, min(needed, 38)
    if largest < Decimal(10) ** (MAX_DIGITS - scale):
        return column.cast(pa.decimal256(column.type.precision, scale)), min(needed, MAX_DIGITS)
    raise NotColumnar("a sum could exceed 76 digits")


def rows_of(lines: pa.Table) -> list[LineRow]:
    """Every line of a table as ``model.LineRow`` tuples, for the per-line tally."""
    return list(zip(*(lines[name].to_pylist() for name in LINE_COLUMNS), strict=True))
