"""`Tables`: collections held as DataFrames or database tables, checked by the rules of the records.

A `Tables` maps collection names (those of `AdvocacyData.from_records`) to frames of any
library narwhals reads: pandas, Polars (eager or lazy), PyArrow, DuckDB relations, PySpark
DataFrames. Each frame has one column per field of its record class (see `columns`); optional
fields may be left out. Checks run when an engine first reads a collection, as queries where the
data lives, and fail with the same errors the records raise, naming the collection, the column
and the row's id.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs

from advocacy_kpis.data import ACCOUNT_REFERENCES, COLLECTIONS, PAST_FIELDS, AdvocacyData, renewal_cycle_of
from advocacy_kpis.errors import (
    DuplicateIdError,
    EngineNotSupportedError,
    InvalidRecordError,
    MissingExtraError,
    MoneyOverflowError,
    ParameterError,
    UnknownReferenceError,
    shorten,
)
from advocacy_kpis.expr import Env
from advocacy_kpis.records import (
    AMOUNT_EXPECTED,
    CURRENCY_EXPECTED,
    ID_EXPECTED,
    MAX_AMOUNT,
    RULES,
    Account,
    Asset,
    PromptAction,
    Rule,
    Sentiment,
    SurveyKind,
)
from advocacy_kpis.scope import UTC_CALENDAR, Calendar

if TYPE_CHECKING:
    from advocacy_kpis.engines._run import Engine

__all__ = ["Column", "Tables", "columns", "records_from_tables", "tables_from_data"]

_MONEY_DIGITS: Final = 38
"""The digits a Decimal sum keeps on every backend."""


@attrs.frozen
class Column:
    """One column of a collection's frame.

    Attributes:
        name: the record field it holds.
        kind: ``id``, ``text``, ``instant``, ``money``, ``bool``, ``int``, ``float``, ``enum``,
            ``assets`` or ``attributes`` (the extra columns of a record's ``attributes``).
        required: whether the field has no default, so the column must be present and non-null.
        values: for enums, the values allowed.
    """

    name: str
    kind: str
    required: bool
    values: tuple[str, ...] = ()


_ENUMS: Final[Mapping[str, type[enum.Enum]]] = {
    "SurveyKind": SurveyKind,
    "Sentiment": Sentiment,
    "Asset": Asset,
    "PromptAction": PromptAction,
}


def _column(field: attrs.Attribute[Any]) -> Column:
    text = str(field.type)
    required = field.default is attrs.NOTHING
    base = text.replace(" | None", "")
    values: tuple[str, ...] = ()
    if field.name == "id" or (base == "str" and field.name.endswith("_id") and required):
        kind = "id"
    elif base == "datetime":
        kind = "instant"
    elif base == "Decimal":
        kind = "money"
    elif base == "bool":
        kind = "bool"
    elif base == "int":
        kind = "int"
    elif base == "float":
        kind = "float"
    elif base in _ENUMS:
        kind = "enum"
        values = tuple(member.value for member in _ENUMS[base])
    elif base.startswith("tuple[Asset"):
        kind = "assets"
    elif base.startswith("Mapping"):
        kind = "attributes"
    else:
        kind = "text"
    return Column(field.name, kind, required, values)


def columns(collection: str) -> tuple[Column, ...]:
    """The columns of a collection's frame, one per field of its record class.

    Examples:
        >>> [(c.name, c.kind) for c in columns("qbrs")]
        [('id', 'id'), ('account_id', 'id'), ('held_at', 'instant'), ('referral_intent', 'bool')]
    """
    if collection not in COLLECTIONS:
        raise ParameterError("collection", "columns", f"one of {', '.join(COLLECTIONS)}", collection)
    return tuple(_column(f) for f in attrs.fields(COLLECTIONS[collection]) if _column(f).kind != "attributes")


def field_names(collection: str) -> frozenset[str]:
    """The fields of a collection's record (its table's other columns are attributes)."""
    return frozenset(f.name for f in attrs.fields(COLLECTIONS[collection]))


_NULLS: Final = {
    "id": "String", "text": "String", "enum": "String", "instant": "Int64", "money": "Int64", "bool": "Boolean",
    "int": "Int64", "float": "Float64",
}  # fmt: skip


def null_of(collection: str, name: str) -> Any:
    """A typed null standing for an optional field a table leaves out (instants as microseconds)."""
    nw = _narwhals()
    kinds = {c.name: c.kind for c in columns(collection)}
    kind = kinds.get(name, "text")
    if kind == "assets":
        return nw.lit(None, dtype=nw.List(nw.String()))
    return nw.lit(None, dtype=getattr(nw, _NULLS[kind])())


def has_attributes(collection: str) -> bool:
    """Whether a collection's records carry ``attributes`` (its table's extra columns)."""
    return any(f.name == "attributes" for f in attrs.fields(COLLECTIONS[collection]))


def _narwhals() -> Any:
    try:
        import narwhals
    except ImportError:
        raise MissingExtraError("narwhals", "polars", "advocacy_kpis.engines") from None
    return narwhals


def _plain_arrow(pa: Any, table: Any, collection: str) -> Any:
    """``table`` with large strings and large lists as their plain Arrow types, so its columns join
    with columns built here (pandas hands Arrow its strings as large strings), and a record's
    column that holds no value at all typed as the field it stands for."""
    known = {c.name: c for c in columns(collection)} if collection in COLLECTIONS else {}
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_null(kind) and field.name in known:
            kind = _arrow_type(pa, known[field.name], [])
        if pa.types.is_large_string(kind):
            kind = pa.string()
        elif pa.types.is_large_list(kind):
            kind = pa.list_(pa.string() if pa.types.is_large_string(kind.value_type) else kind.value_type)
        fields.append(pa.field(field.name, kind, field.nullable))
    return table.cast(pa.schema(fields))


def _lazy(frame: Any, name: str) -> tuple[Any, str]:
    """A frame as a narwhals LazyFrame, and the library it came from.

    A pandas frame is read through Arrow (`pyarrow.Table.from_pandas`): one columnar copy, after
    which Arrow-backed dtypes, columns of `Decimal` objects (what ``read_parquet`` gives) and
    nullable integers are all plain Arrow types, computed the one way Arrow computes them.
    """
    nw = _narwhals()
    try:
        wrapped = nw.from_native(frame)
    except TypeError:
        raise ParameterError(
            name, "Tables", "a DataFrame or table narwhals reads (pandas, Polars, PyArrow, DuckDB, PySpark)",
            type(frame).__name__,
        ) from None  # fmt: skip
    library = str(wrapped.implementation).split(".")[-1].lower()
    if library in ("pandas", "modin", "cudf"):
        pa = _arrow()
        try:
            wrapped = nw.from_native(
                _plain_arrow(pa, pa.Table.from_pandas(frame, preserve_index=False), name)
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise ParameterError(
                name, "Tables", "a pandas frame whose columns each hold one type", str(error).splitlines()[0]
            ) from None
    elif library == "pyarrow":
        wrapped = nw.from_native(_plain_arrow(_arrow(), wrapped.to_native(), name))
    elif library == "duckdb":
        wrapped = _duckdb_instants_in_micros(nw, wrapped)
    lazy = wrapped.lazy() if isinstance(wrapped, nw.DataFrame) else wrapped
    return _plain_columns(nw, _typed_nulls(lazy, library, name), name), library


_SQL_TYPES: Final = {
    "id": "VARCHAR", "text": "VARCHAR", "enum": "VARCHAR", "instant": "TIMESTAMPTZ", "bool": "BOOLEAN",
    "int": "BIGINT", "float": "DOUBLE", "assets": "VARCHAR[]", "money": "BIGINT",
}  # fmt: skip
"""The DuckDB type of a record column that holds no value at all, by kind."""

_SPARK_TYPES: Final = {
    "id": "string", "text": "string", "enum": "string", "instant": "timestamp", "bool": "boolean",
    "int": "bigint", "float": "double", "assets": "array<string>", "money": "bigint",
}  # fmt: skip
"""The Spark type of a record column that holds no value at all, by kind."""


def _typed_nulls(frame: Any, library: str, name: str) -> Any:
    """``frame`` with each record column that holds no value at all (a column of nulls, which
    Polars, DuckDB and Spark type as null) typed as the field it stands for, so that it is
    checked and computed like any column of that field."""
    nw = _narwhals()
    known = {c.name: c for c in columns(name)} if name in COLLECTIONS else {}
    schema = frame.collect_schema()
    nulls = [c for c in schema if c in known and schema[c] == nw.Unknown]
    native = frame.to_native()
    if library == "polars":
        import polars as pl

        typed = [c for c in nulls if native.collect_schema()[c] == pl.Null]
        if not typed:
            return frame
        pa = _arrow()
        empty = pl.DataFrame(pa.table({c: pa.array([], _arrow_type(pa, known[c], [])) for c in typed}))
        return nw.from_native(native.with_columns(*[pl.col(c).cast(empty.schema[c]) for c in typed]))
    if library == "duckdb":
        typed = [
            c
            for c, kind in zip(native.columns, native.types, strict=True)
            if c in nulls and str(kind) == "NULL"
        ]
        if not typed:
            return frame
        picked = [
            f'CAST("{c}" AS {_SQL_TYPES[known[c].kind]}) AS "{c}"' if c in typed else f'"{c}"'
            for c in native.columns
        ]
        return nw.from_native(native.project(", ".join(picked)))
    if library in ("pyspark", "pyspark_connect", "sqlframe"):
        typed = [
            f.name
            for f in native.schema.fields
            if f.name in nulls and f.dataType.typeName() in ("void", "null")
        ]
        for column in typed:
            native = native.withColumn(column, native[column].cast(_SPARK_TYPES[known[column].kind]))
        return nw.from_native(native) if typed else frame
    return frame


def _duckdb_instants_in_micros(nw: Any, wrapped: Any) -> Any:
    """A DuckDB relation with its ``TIMESTAMPTZ_NS`` columns (what DuckDB makes of the nanosecond
    UTC timestamps pandas writes to Parquet) cast to ``TIMESTAMPTZ``.

    narwhals does not know the nanosecond type and reads it as Unknown, so such a column was
    refused as naive. Instants are microseconds here, as in Python's datetimes.
    """
    native = wrapped.to_native()
    nanos = {c for c, kind in zip(native.columns, native.types, strict=True) if kind.id == "timestamptz_ns"}
    if not nanos:
        return wrapped

    def quoted(column: str) -> str:
        return '"' + column.replace('"', '""') + '"'

    picked = [
        f"CAST({quoted(c)} AS TIMESTAMPTZ) AS {quoted(c)}" if c in nanos else quoted(c)
        for c in native.columns
    ]
    return nw.from_native(native.project(", ".join(picked)))


def _plain_columns(nw: Any, frame: Any, name: str) -> Any:
    """``frame`` with the columns Polars and Arrow hold in forms the engine does not compute on
    turned into the plain ones, the values unchanged.

    - Instants shown in a zone other than UTC are shown in UTC: Polars will not compare timestamps
      shown in two zones, so the check against ``as_of`` failed on a column in New York time.
    - Categorical (dictionary-encoded) strings, as pandas ``category`` columns and Polars
      ``Categorical`` hold them, become strings: neither library runs string functions on them.

    Both change only how values are held. DuckDB and Spark hold instants without a zone (a
    session's zone is only how they are shown) and compute on their enums, so their columns are
    left as they are.
    """
    computes_in = str(frame.implementation).split(".")[-1].lower()
    if computes_in not in ("polars", "pyarrow"):
        return frame
    schema = frame.collect_schema()
    instants = {c.name for c in columns(name) if c.kind == "instant"} if name in COLLECTIONS else set()
    changed = []
    for column, dtype in schema.items():
        if column in instants and isinstance(dtype, nw.Datetime) and dtype.time_zone not in (None, "UTC"):
            changed.append(nw.col(column).dt.convert_time_zone("UTC"))
        elif dtype == nw.Categorical or isinstance(dtype, nw.Enum):
            changed.append(nw.col(column).cast(nw.String()))
    return frame.with_columns(*changed) if changed else frame


@attrs.frozen(eq=False)
class Tables(Mapping[str, Any]):
    """Collections as frames, with the instant they were extracted and their calendar.

    Build it as ``Tables({"accounts": frame, "surveys": frame, ...}, as_of=..., calendar=...)``.

    Attributes:
        frames: collection name (``accounts``, ``surveys``, ``referrals``, ... as in
            `AdvocacyData.from_records`) to a frame; ``accounts`` is required. A collection left
            out was not supplied: metrics reading it are undefined, saying so.
        as_of: when the data was extracted (timezone-aware).
        calendar: the calendar of the data set.

    Examples:
        >>> import polars as pl
        >>> from datetime import UTC, datetime
        >>> accounts = pl.DataFrame({"id": ["a1"], "customer_since": [datetime(2025, 1, 1, tzinfo=UTC)]})
        >>> tables = Tables({"accounts": accounts}, as_of=datetime(2026, 10, 1, tzinfo=UTC))
        >>> sorted(tables), tables.backend
        (['accounts'], 'polars')
    """

    frames: Mapping[str, Any] = attrs.field(converter=dict)
    as_of: datetime = attrs.field()
    calendar: Calendar = attrs.field(default=UTC_CALENDAR)
    _lazy: dict[str, Any] = attrs.field(init=False, factory=dict, repr=False)
    _checked: set[str] = attrs.field(init=False, factory=set, repr=False)
    _library: str = attrs.field(init=False, default="", repr=False)
    _extents: dict[Any, tuple[int, Decimal]] = attrs.field(init=False, factory=dict, repr=False)
    _schemas: dict[str, Mapping[str, Any]] = attrs.field(init=False, factory=dict, repr=False)
    _engine: Any = attrs.field(init=False, default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "as_of", self.calendar.instant(self.as_of, name="as_of", where="Tables"))
        if "accounts" not in self.frames:
            raise ParameterError(
                "frames", "Tables", "a mapping with an 'accounts' frame", sorted(self.frames)
            )
        backends = set()
        for name, frame in self.frames.items():
            if name not in COLLECTIONS:
                raise ParameterError(
                    "frames", "Tables", f"collection names among {', '.join(COLLECTIONS)}", name
                )
            lazy, library = _lazy(frame, name)
            self._lazy[name] = lazy
            backends.add(library)
        if len(backends) > 1:
            raise ParameterError(
                "frames", "Tables", "frames of one library (and one connection or session)", sorted(backends)
            )
        object.__setattr__(self, "_library", backends.pop())

    def __getitem__(self, name: str) -> Any:
        return self.frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.frames)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def backend(self) -> str:
        """The library the frames belong to: ``polars``, ``pandas``, ``pyarrow``, ``duckdb``, ``pyspark``..."""
        return self._library

    @property
    def engine(self) -> Engine:
        """The engine that reads these tables (one per `Tables`, so its queries are cached)."""
        if self._engine is None:
            from advocacy_kpis.engines._run import Engine

            object.__setattr__(self, "_engine", Engine(self))
        engine: Engine = self._engine
        return engine

    @property
    def _computes_in(self) -> str:
        """The library the engine computes in (pandas frames are read through Arrow)."""
        return str(self._lazy["accounts"].implementation).split(".")[-1].lower()

    def lazy(self, name: str) -> Any:
        """The collection as a checked narwhals LazyFrame (checks run on first use)."""
        frame = self._lazy[name]
        if name not in self._checked:
            _check(self, name, frame)
            self._checked.add(name)
            check_references(self, name)
        return frame

    def schema(self, name: str) -> Mapping[str, Any]:
        """The narwhals schema of a collection's frame (asked of the backend once)."""
        schema = self._schemas.get(name)
        if schema is None:
            schema = self._schemas[name] = self._lazy[name].collect_schema()
        return schema

    def prepared(self, name: str) -> Any:
        """The checked collection with every instant column in microseconds since the epoch.

        The conversion happens where the data lives and does not depend on a session's time zone
        (DuckDB ``epoch_us``, Spark ``unix_micros``, the epoch of Arrow and Polars timestamps).
        """
        frame = self.lazy(name)
        instants = [c.name for c in columns(name) if c.kind == "instant" and c.name in self.schema(name)]
        if not instants:
            return frame
        nw = _narwhals()
        library = self._computes_in
        native = frame.to_native()
        if library == "duckdb":
            picked = [f'epoch_us("{c}") AS "{c}"' if c in instants else f'"{c}"' for c in self.schema(name)]
            return nw.from_native(native.project(", ".join(picked)))
        if library in ("pyspark", "pyspark_connect", "sqlframe"):
            functions = importlib.import_module("pyspark.sql.functions")
            for column in instants:
                native = native.withColumn(column, functions.unix_micros(functions.col(column)))
            return nw.from_native(native)
        return frame.with_columns(*[nw.col(c).dt.timestamp("us").cast(nw.Int64) for c in instants])

    def small(self, data: Mapping[str, Sequence[int]]) -> Any:
        """A frame of integer columns on the tables' library (and connection, or session)."""
        nw = _narwhals()
        names = list(data)
        library = self._computes_in
        if library == "polars":
            import polars as pl

            return nw.from_native(
                pl.LazyFrame({n: list(data[n]) for n in names}, schema=dict.fromkeys(names, pl.Int64))
            )
        if library == "pyarrow":
            pa = _arrow()
            return nw.from_native(pa.table({n: pa.array(list(data[n]), pa.int64()) for n in names})).lazy()
        native = self._lazy["accounts"].to_native()
        size = len(data[names[0]]) if names else 0
        if library == "duckdb":
            if size:
                values = ", ".join(
                    "(" + ", ".join(f"CAST({int(data[n][i])} AS BIGINT)" for n in names) + ")"
                    for i in range(size)
                )
                sql = f"SELECT * FROM (VALUES {values}) AS v({', '.join(names)})"
            else:
                sql = "SELECT " + ", ".join(f"CAST(NULL AS BIGINT) AS {n}" for n in names) + " WHERE FALSE"
            return nw.from_native(native.query("_advocacy_kpis_unused", sql))
        if library in ("pyspark", "pyspark_connect", "sqlframe"):
            rows = [tuple(int(data[n][i]) for n in names) for i in range(size)]
            schema = ", ".join(f"{n} long" for n in names)
            return nw.from_native(native.sparkSession.createDataFrame(rows, schema=schema))
        raise EngineNotSupportedError("every metric", library, "no small frame can be built on this library")

    def money_expression(self, collection: str, column: str) -> Any:
        """The expression reading a money column as Decimal(38, scale), where sums are exact.

        Raises:
            InvalidRecordError: the column holds floats (money is never a float) or text.
            MoneyOverflowError: its rows times its largest amount could pass 38 digits at its
                scale, so a sum could not be exact: store it with fewer decimal places.
        """
        nw = _narwhals()
        dtype = self.schema(collection)[column]
        where = f"{collection} table"
        if isinstance(dtype, nw.Decimal):
            scale = int(dtype.scale or 0)
        elif dtype.is_integer():
            scale = 0
        else:
            raise InvalidRecordError(where, column, str(dtype), _EXPECTED["money"])
        rows, largest = self._money_extent(collection, column)
        # A digit is kept free, so the difference of two sums (a change in run rate) fits too.
        if largest and rows * largest * (Decimal(10) ** scale) >= Decimal(10) ** (_MONEY_DIGITS - 1):
            raise MoneyOverflowError(collection, column, scale, largest, rows)
        return nw.col(column).cast(nw.Decimal(_MONEY_DIGITS, scale))

    def _money_extent(self, collection: str, column: str) -> tuple[int, Decimal]:
        key = ("extent", collection, column)
        found = self._extents.get(key)
        if found is None:
            nw = _narwhals()
            count, largest = self.lazy(collection).select(nw.len(), nw.col(column).max()).collect().rows()[0]
            found = self._extents[key] = (
                int(count or 0),
                Decimal(largest) if largest is not None else Decimal(0),
            )
        return found

    def to_data(self) -> AdvocacyData:
        """The records of every collection as an `AdvocacyData`: the reference, in Python.

        Every row becomes a record, so this reads the whole of every frame into memory.
        """
        collections = records_from_tables(self)
        return AdvocacyData.from_records(as_of=self.as_of, calendar=self.calendar, **collections)


# -- checks -------------------------------------------------------------------------------------


def _dtype_ok(nw: Any, dtype: Any, kind: str) -> bool:
    if dtype == nw.Unknown or dtype == nw.Object:
        return kind not in ("instant",)
    if kind == "instant":
        return isinstance(dtype, nw.Datetime) and dtype.time_zone is not None
    if kind in ("id", "text", "enum"):
        return bool(dtype in (nw.String, nw.Categorical) or isinstance(dtype, nw.Enum))
    if kind == "bool":
        return bool(dtype == nw.Boolean)
    if kind == "int":
        return bool(dtype.is_integer())
    if kind == "money":
        return bool(isinstance(dtype, nw.Decimal) or dtype.is_integer())
    if kind == "float":
        return bool(dtype.is_numeric())
    return True


_EXPECTED: Final = {
    "id": "a column of non-empty strings",
    "text": "a column of strings",
    "enum": "a column of strings",
    "instant": "a timestamp column with a time zone (a naive one is not an instant: attach its zone)",
    "bool": "a boolean column",
    "int": "an integer column",
    "money": "a Decimal (or integer) column: money is never a float or text",
    "float": "a numeric column",
    "assets": "a column of lists of asset names",
}


def _check(tables: Tables, name: str, frame: Any) -> None:
    """Check one collection's frame: columns and types, then its values in one query."""
    nw = _narwhals()
    schema = frame.collect_schema()
    where = f"{name} table"
    for column in columns(name):
        if column.name not in schema:
            if column.required:
                raise InvalidRecordError(where, column.name, None, f"present ({_EXPECTED[column.kind]})")
            continue
        dtype = schema[column.name]
        if not _dtype_ok(nw, dtype, column.kind):
            raise InvalidRecordError(where, column.name, str(dtype), _EXPECTED[column.kind])
    problems = _problems(tables, name, frame, schema)
    counts = frame
    for label, problem in problems.items():
        counts = counts.with_columns(problem.condition.fill_null(False).cast(nw.Int64).alias(label))
    totals = counts.select(
        *[nw.col(label).sum() for label in problems],
        nw.col("id").n_unique().alias("_u"),
        nw.len().alias("_n"),
    )
    *found, distinct, rows = totals.collect().rows()[0]
    for label, count in zip(problems, found, strict=True):
        if count:
            problem = problems[label]
            # The id once, even when the check is on the id itself.
            wanted = list(dict.fromkeys(["id", *problem.columns()]))
            picked = frame.filter(problem.condition.fill_null(False)).select(*wanted).head(1).collect().rows()
            named = dict(zip(wanted, (_plain(v) for v in picked[0]), strict=True))
            ident = named["id"]
            # A row without an id can be named only by its table.
            record = f"{name} table" if ident is None else f"{name} row {ident!r}"
            raise problem.error(record, problem.field, named[problem.field], problem.message(named))
    if int(distinct or 0) != int(rows or 0):
        dupes = (
            (frame.group_by("id").agg(nw.len().alias("n")).filter(nw.col("n") > 1).select("id").head(1))
            .collect()
            .rows()
        )
        raise DuplicateIdError(
            f"{name} row {dupes[0][0]!r}", "id", dupes[0][0], f"an id used by no other {name} row"
        )


def _plain(value: Any) -> Any:
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


_IDS: Final = frozenset({"renewal_of"})
"""Optional fields that name a record, held to the rule of ids (not blank) like the ``*_id`` fields."""


class _RawColumns:
    """A collection's frame as it came, for the record rules to compile against."""

    def __init__(self, collection: str, present: set[str]) -> None:
        self.collection = collection
        self.present = present

    def column(self, name: str) -> Any:
        nw = _narwhals()
        return nw.col(name) if name in self.present else nw.lit(None)

    def mark(self, marks: Any) -> Any:  # pragma: no cover - no record rule reads marked records
        raise NotImplementedError


def _problems(tables: Tables, name: str, frame: Any, schema: Any) -> dict[str, _Problem]:
    """Per check: the column it names, the condition a bad row meets, what is expected, the error.

    The rules are the records' own (`advocacy_kpis.records`): each kind of field held to what its
    validator holds a record's field to, then `RULES` across fields, then nothing after as_of.
    """
    nw = _narwhals()
    out: dict[str, _Problem] = {}
    present = set(schema)
    as_of = tables.as_of
    for i, column in enumerate(columns(name)):
        if column.name not in present:
            continue
        col = nw.col(column.name)
        if column.required:
            out[f"_null{i}"] = _Problem(column.name, col.is_null(), f"set ({_EXPECTED[column.kind]})")
        if column.kind == "id" or column.name.endswith("_id") or column.name in _IDS:
            out[f"_empty{i}"] = _Problem(column.name, col.str.strip_chars() == "", ID_EXPECTED)
        if column.kind == "enum":
            allowed = ", ".join(repr(v) for v in column.values)
            out[f"_enum{i}"] = _Problem(
                column.name, ~col.is_null() & ~col.is_in(list(column.values)), f"one of {allowed}"
            )
        if column.kind == "money":
            out[f"_amount{i}"] = _Problem(column.name, (col < 0) | (col >= int(MAX_AMOUNT)), AMOUNT_EXPECTED)
        if column.name == "currency":
            out[f"_currency{i}"] = _Problem(column.name, ~col.str.contains(r"^[A-Z]{3}$"), CURRENCY_EXPECTED)
        if column.name in PAST_FIELDS.get(COLLECTIONS[name], ()):
            out[f"_late{i}"] = _Problem(column.name, col > as_of, f"at or before as_of ({as_of.isoformat()})")
    raw = _RawColumns(name, present)
    env = Env({}, as_of)
    for i, rule in enumerate(RULES.get(COLLECTIONS[name], ())):
        if rule.broken.fields() <= present:
            out[f"_rule{i}"] = _Problem(rule.field, rule.broken.narwhals(raw, env), rule)
    return out


@attrs.frozen(eq=False)
class _Problem:
    """A check of a table: the column it names, the condition a bad row meets, what is expected
    (a text, or the record rule that says it from the row), and the error it raises."""

    field: str
    condition: Any
    expected: str | Rule
    error: type = InvalidRecordError

    def columns(self) -> list[str]:
        """The columns the error's message reads."""
        if isinstance(self.expected, Rule):
            return sorted(self.expected.broken.fields() | {self.field})
        return [self.field]

    def message(self, values: Mapping[str, Any]) -> str:
        """What was expected, for the offending row's values."""
        if isinstance(self.expected, Rule):
            return self.expected.expected(lambda n: values[n])
        return self.expected


def check_references(tables: Tables, name: str) -> None:
    """Refuse rows that name a record the tables do not hold, as `AdvocacyData.from_records` does:
    an unknown account, a renewed contract that does not exist or belongs to another account, or
    contracts renewing each other in a cycle.

    Raises:
        UnknownReferenceError: naming the collection, the row's id, the column and the value.
        InvalidRecordError: a renewal of another account's contract, or a cycle of renewals.
    """
    nw = _narwhals()
    frame = tables.lazy(name)
    schema = frame.collect_schema()
    kind = COLLECTIONS[name]
    accounts = tables.lazy("accounts").select(nw.col("id").alias("_known"), nw.lit(True).alias("_hit"))
    for column in [field for referring, field in ACCOUNT_REFERENCES if referring is kind and field in schema]:
        found = _first(
            frame.select("id", column)
            .filter(~nw.col(column).is_null())
            .join(accounts, left_on=column, right_on="_known", how="left")
            .filter(nw.col("_hit").is_null())
            .select("id", column)
        )
        if found:
            raise UnknownReferenceError(
                f"{name} row {found[0]!r}", column, found[1], "the id of an account in the data set"
            )
    if name == "contracts" and "renewal_of" in schema:
        _check_renewals(frame)


def _first(frame: Any) -> tuple[Any, ...] | None:
    rows = frame.head(1).collect().rows()
    return tuple(rows[0]) if rows else None


def _check_renewals(frame: Any) -> None:
    """The renewal rules of `AdvocacyData.from_records` on a contracts table."""
    nw = _narwhals()
    renewing = frame.filter(~nw.col("renewal_of").is_null()).select("id", "account_id", "renewal_of")
    owners = frame.select(nw.col("id").alias("_renewed"), nw.col("account_id").alias("_owner"))
    joined = renewing.join(owners, left_on="renewal_of", right_on="_renewed", how="left")
    unknown = _first(joined.filter(nw.col("_owner").is_null()).sort("id").select("id", "renewal_of"))
    if unknown:
        raise UnknownReferenceError(
            f"contracts row {unknown[0]!r}", "renewal_of", unknown[1], "the id of a contract in the data set"
        )
    other = _first(
        joined.filter(nw.col("_owner") != nw.col("account_id"))
        .sort("id")
        .select("id", "renewal_of", "account_id", "_owner")
    )
    if other:
        ident, renewed, account, owner = other
        raise InvalidRecordError(
            f"contracts row {ident!r}",
            "renewal_of",
            renewed,
            f"a contract of the same account ({shorten(account)}), not of {shorten(owner)}",
        )
    renews = {
        str(ident): str(renewed) for ident, renewed in renewing.select("id", "renewal_of").collect().rows()
    }
    cycle = renewal_cycle_of(renews)
    if cycle is not None:
        raise InvalidRecordError(
            f"contracts row {cycle[0]!r}",
            "renewal_of",
            renews[cycle[0]],
            "a contract that is not renewed, through its own renewals, by this one "
            f"(renewal cycle: {shorten(' -> '.join(cycle))})",
        )


# -- records to frames and back -----------------------------------------------------------------


def _arrow() -> Any:
    try:
        pa = importlib.import_module("pyarrow")
    except ImportError:
        raise MissingExtraError("pyarrow", "polars", "tables_from_data") from None
    return pa


def _scale(values: list[Any]) -> int:
    places = 0
    for value in values:
        if isinstance(value, Decimal):
            exponent = value.as_tuple().exponent
            if isinstance(exponent, int):
                places = max(places, -exponent)
    return places


def _arrow_type(pa: Any, column: Column, values: list[Any]) -> Any:
    return {
        "id": pa.string(),
        "text": pa.string(),
        "enum": pa.string(),
        "instant": pa.timestamp("us", "UTC"),
        "bool": pa.bool_(),
        "int": pa.int64(),
        "float": pa.float64(),
        "assets": pa.list_(pa.string()),
        "money": pa.decimal128(38, _scale(values)),
    }[column.kind]


def _plain_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain_value(v) for v in value]
    return value


def arrow_tables(data: AdvocacyData) -> dict[str, Any]:
    """Every supplied collection of ``data`` as a PyArrow table (money as Decimal128 at the column's
    largest scale).

    A collection ``data`` was never given stays out, so it is not supplied in tables built from
    these either: a metric that reads it stays undefined, saying so, rather than counting nothing.
    """
    pa = _arrow()
    out: dict[str, Any] = {}
    for name in COLLECTIONS:
        if not data.is_supplied(name):
            continue
        records = getattr(data, name)
        arrays: dict[str, Any] = {}
        for column in columns(name):
            values = [_plain_value(getattr(r, column.name)) for r in records]
            arrays[column.name] = pa.array(values, type=_arrow_type(pa, column, values))
        if has_attributes(name):
            extra: dict[str, None] = {}
            for record in records:
                extra.update(dict.fromkeys(record.attributes))
            for key in extra:
                if key in arrays:
                    raise ParameterError("attributes", "tables_from_data", "names that are not fields", key)
                values = [record.attributes.get(key) for record in records]
                try:
                    arrays[key] = pa.array(values)
                except (pa.ArrowInvalid, pa.ArrowTypeError):
                    raise ParameterError(
                        "attributes", "tables_from_data", f"values of one type under {key!r}", values
                    ) from None
        out[name] = pa.table(arrays)
    return out


BACKENDS: Final = ("polars", "polars-lazy", "pandas", "pyarrow", "duckdb", "spark")


def tables_from_data(data: AdvocacyData, backend: str = "polars", *, connection: Any = None) -> Tables:
    """The supplied collections of ``data`` as frames of one library, for the engines (and for tests).

    Columns are the records' fields (`columns`); timestamps are microsecond UTC, money is
    Decimal128 at the largest number of decimal places in the column, enums are their values,
    an account's ``attributes`` become further columns.

    Args:
        data: the data set.
        backend: ``polars``, ``polars-lazy``, ``pandas``, ``pyarrow``, ``duckdb`` or ``spark``.
        connection: for ``duckdb`` a connection (default: a new in-memory one); for ``spark`` a
            SparkSession (default: the active one).

    Examples:
        >>> from advocacy_kpis.sample import tiny
        >>> tables = tables_from_data(tiny(), "pyarrow")
        >>> tables.backend, tables["surveys"].num_rows == len(tiny().surveys)
        ('pyarrow', True)
    """
    if backend not in BACKENDS:
        raise ParameterError("backend", "tables_from_data", f"one of {', '.join(BACKENDS)}", backend)
    arrow = arrow_tables(data)
    frames: dict[str, Any]
    if backend == "pyarrow":
        frames = arrow
    elif backend in ("polars", "polars-lazy"):
        import polars as pl

        frames = {name: pl.from_arrow(table) for name, table in arrow.items()}
        if backend == "polars-lazy":
            frames = {name: frame.lazy() for name, frame in frames.items()}
    elif backend == "pandas":
        pd = importlib.import_module("pandas")

        pa = _arrow()

        def mapper(dtype: Any) -> Any:
            keep = pa.types.is_decimal(dtype) or pa.types.is_boolean(dtype)
            return pd.ArrowDtype(dtype) if keep else None

        frames = {name: table.to_pandas(types_mapper=mapper) for name, table in arrow.items()}
    elif backend == "duckdb":
        import duckdb

        con = connection if connection is not None else duckdb.connect()
        frames = {name: con.from_arrow(table) for name, table in arrow.items()}
    else:
        from pyspark.sql import SparkSession

        spark = connection if connection is not None else SparkSession.getActiveSession()
        if spark is None:
            raise ParameterError("connection", "tables_from_data", "a SparkSession (none is active)", None)
        frames = {name: spark.createDataFrame(table) for name, table in arrow.items()}
    return Tables(frames, as_of=data.as_of, calendar=data.calendar)


def _python(value: Any) -> Any:
    if value is None or type(value).__name__ in ("NaTType", "NAType"):
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if isinstance(value, float) and value != value:
        return None
    if getattr(value, "ndim", 0) and hasattr(value, "tolist"):
        return [_python(v) for v in value.tolist()]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def _attribute(value: Any) -> Any:
    """An attribute as the engine reads it: a whole float is the integer it stands for, since pandas
    holds a column of integers with a missing value as floats (``seats`` 5 becomes 5.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def records_from_tables(tables: Tables) -> dict[str, list[Any]]:
    """Every row of every frame as a record, by collection (the collections left out are empty).

    Raises:
        InvalidRecordError: a row the record class refuses (naming the record, field and value).
    """
    out: dict[str, list[Any]] = {}
    for name in tables:
        kind = COLLECTIONS[name]
        frame = tables._lazy[name]
        schema = frame.collect_schema()
        fields = {c.name: c for c in columns(name)}
        names = list(schema)
        rows = frame.collect().rows()
        extra = [n for n in names if n not in fields] if has_attributes(name) else []
        records = []
        for row in rows:
            values = dict(zip(names, (_python(v) for v in row), strict=True))
            arguments = {k: v for k, v in values.items() if k in fields and v is not None}
            for key, column in fields.items():
                if key in arguments and column.kind == "assets":
                    arguments[key] = tuple(arguments[key])
                if key in arguments and column.kind == "money" and not isinstance(arguments[key], Decimal):
                    arguments[key] = Decimal(arguments[key])
            if extra:
                arguments["attributes"] = {k: _attribute(values[k]) for k in extra if values[k] is not None}
            records.append(kind(**arguments))
        out[name] = records
    return out


def account_fields() -> frozenset[str]:
    """The fields of `Account` (other columns of the accounts table are attributes)."""
    return frozenset(f.name for f in attrs.fields(Account))
