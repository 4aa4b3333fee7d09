"""Ranges of list endpoints: which days (or 15-minute intervals, or months) a request answers.

Every list endpoint filters its mart by an inclusive range of one date or timestamp column:
``from`` and ``to`` in the query, both optional. A :class:`RangePolicy` resolves them once for
every endpoint: an open end is filled with a default window anchored on the tenant's latest
data (not the clock: a tenant whose data stops still sees it), a reversed or too long range is a
422 problem on ``to``. The unit (:data:`DAYS`, :data:`QUARTER_HOURS`, :data:`MONTHS`) says how
values step and are counted.

:class:`RangedMartRead` is the read itself: one mart, its page model (whose row model names the
columns read), the range column and the order; the query's other fields are equality filters on
the columns of the same name.

Parameter types: :data:`IsoDate` (only ``YYYY-MM-DD``), :data:`Month` (``YYYY-MM``) and
:data:`DateOrInstant`; query models :class:`DayRangeQuery`, :class:`MonthRangeQuery` and
:class:`IntervalRangeQuery`, pages :class:`DayPage`, :class:`MonthPage` and :class:`IntervalPage`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Generic, NoReturn, TypeVar, get_args

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from warehouse.marts import DateRange, MartReader

ValueT = TypeVar("ValueT", date, datetime)


@dataclass(frozen=True)
class RangeUnit(Generic[ValueT]):
    """How the values of a range column step: ``floor`` puts any value on the unit's grid,
    ``shift`` moves by whole units, ``count`` counts the units from first to last inclusive."""

    name: str
    floor: Callable[[ValueT], ValueT]
    shift: Callable[[ValueT, int], ValueT]
    count: Callable[[ValueT, ValueT], int]
    label: Callable[[ValueT], str]
    #: The latest value when the tenant has no data yet (the clock's unit).
    now: Callable[[], ValueT]


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


DAYS: RangeUnit[date] = RangeUnit(
    name="days",
    floor=_day,
    shift=lambda value, count: value + timedelta(days=count),
    count=lambda first, last: (last - first).days + 1,
    label=lambda value: value.isoformat(),
    now=lambda: datetime.now(UTC).date(),
)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


MONTHS: RangeUnit[date] = RangeUnit(
    name="months",
    floor=lambda value: _day(value).replace(day=1),
    shift=_add_months,
    count=lambda first, last: (last.year - first.year) * 12 + last.month - first.month + 1,
    label=lambda value: f"{value:%Y-%m}",
    now=lambda: datetime.now(UTC).date().replace(day=1),
)

INTERVAL = timedelta(minutes=15)


def _utc(value: datetime) -> datetime:
    # A warehouse may hand back naive UTC timestamps; the API speaks aware UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _quarter_hour(value: datetime) -> datetime:
    value = _utc(value)
    return value.replace(minute=value.minute - value.minute % 15, second=0, microsecond=0)


QUARTER_HOURS: RangeUnit[datetime] = RangeUnit(
    name="15-minute intervals",
    floor=_quarter_hour,
    shift=lambda value, count: value + count * INTERVAL,
    count=lambda first, last: (last - first) // INTERVAL + 1,
    label=lambda value: value.isoformat().replace("+00:00", "Z"),
    now=lambda: _quarter_hour(datetime.now(UTC)),
)


@dataclass(frozen=True)
class RangePolicy(Generic[ValueT]):
    """Default window and longest range of one kind of endpoint, in units of ``unit``."""

    unit: RangeUnit[ValueT]
    default_span: int
    max_span: int

    def resolve(
        self,
        first: ValueT | None,
        last: ValueT | None,
        latest: Callable[[], object],
    ) -> tuple[ValueT, ValueT]:
        """The inclusive range to answer: the one asked for (on the unit's grid), or a default
        window of ``default_span`` units from ``first``, up to ``last``, or up to ``latest()``
        (the tenant's latest value; today when it has none). 422 problems when reversed or
        longer than ``max_span`` units."""
        unit = self.unit
        if first is not None:
            first = unit.floor(first)
        if last is not None:
            last = unit.floor(last)
        elif first is not None:
            last = self._window_end(first, self.default_span - 1, "from")
        else:
            anchor = latest()
            last = unit.floor(anchor) if isinstance(anchor, date) else unit.now()  # type: ignore[arg-type]
        if first is None:
            first = self._window_end(last, -(self.default_span - 1), "to")
        span = unit.count(first, last)
        if span < 1:
            range_problem(
                f"'to' ({unit.label(last)}) must be on or after 'from' ({unit.label(first)})"
            )
        if span > self.max_span:
            range_problem(
                f"the range spans {span} {unit.name}; at most {self.max_span} are allowed"
            )
        return first, last

    def _window_end(self, value: ValueT, count: int, field: str) -> ValueT:
        """``value`` shifted by ``count`` units; a 422 problem on ``field`` when the default
        window runs past year 1 or 9999."""
        try:
            return self.unit.shift(value, count)
        except (OverflowError, ValueError):
            range_problem(
                f"a default window of {self.default_span} {self.unit.name} from "
                f"{self.unit.label(value)} leaves the calendar",
                field,
            )


def range_problem(message: str, field: str = "to") -> NoReturn:
    """A 422 validation problem on one query parameter (``to`` unless told)."""
    raise RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "date_range", "input": None}]
    )


# -- query parameters ----------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")
#: What the OpenAPI document says a month parameter looks like (not ``format: date``: a
#: generated client must not send a day other than the first).
_MONTH_SCHEMA = {
    "type": "string",
    "pattern": r"^\d{4}-(0[1-9]|1[0-2])(-01)?$",
    "examples": ["2024-05"],
}


def _iso_date(value: object) -> object:
    # Only YYYY-MM-DD: pydantic alone would also take "0" (as 1970-01-01) or a timestamp.
    if isinstance(value, str) and not _DATE_ONLY.match(value):
        raise PydanticCustomError("date_format", "expected a calendar date as YYYY-MM-DD")
    return value


def _month(value: object) -> object:
    """``YYYY-MM`` (or the month's first day ``YYYY-MM-01``) → the month's first day."""
    if isinstance(value, str):
        match = _MONTH.match(value)
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise PydanticCustomError("month_format", "expected a month as YYYY-MM")
        return date(int(match.group(1)), int(match.group(2)), 1)
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Month = Annotated[date, BeforeValidator(_month), WithJsonSchema(_MONTH_SCHEMA)]


def _date_or_instant(value: object) -> object:
    """``YYYY-MM-DD`` stays a date (the whole UTC day); anything else is parsed as a timestamp,
    UTC when it names no offset."""
    if isinstance(value, str) and not _DATE_ONLY.match(value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise PydanticCustomError(
                "date_or_datetime", "expected YYYY-MM-DD or an ISO 8601 date-time"
            ) from None
        return _utc(parsed)
    return value


DateOrInstant = Annotated[
    date | datetime,
    BeforeValidator(_date_or_instant),
    WithJsonSchema(
        {
            "type": "string",
            "description": "YYYY-MM-DD (a whole UTC day) or an ISO 8601 date-time (UTC default)",
            "examples": ["2024-05-01", "2024-05-01T09:00:00Z"],
        }
    ),
]


class DayRangeQuery(BaseModel):
    """A day range. Unknown parameters (``tenant_id`` included) are rejected with 422."""

    model_config = ConfigDict(extra="forbid")

    date_from: IsoDate | None = Field(
        default=None,
        alias="from",
        description="First UTC day, YYYY-MM-DD (included). Default: the window up to 'to'",
    )
    date_to: IsoDate | None = Field(
        default=None,
        alias="to",
        description=(
            "Last UTC day, YYYY-MM-DD (included). Default: the window from 'from', or without "
            "'from' the tenant's latest day in the mart"
        ),
    )


class MonthRangeQuery(BaseModel):
    """A month range. Unknown parameters (``tenant_id`` included) are rejected with 422."""

    model_config = ConfigDict(extra="forbid")

    month_from: Month | None = Field(
        default=None,
        alias="from",
        description="First month, YYYY-MM (included). Default: the window up to 'to'",
    )
    month_to: Month | None = Field(
        default=None,
        alias="to",
        description=(
            "Last month, YYYY-MM (included). Default: the window from 'from', or without 'from' "
            "the tenant's latest month in the mart"
        ),
    )


class IntervalRangeQuery(BaseModel):
    """A range of 15-minute intervals. Unknown parameters are rejected with 422."""

    model_config = ConfigDict(extra="forbid")

    interval_from: DateOrInstant | None = Field(
        default=None,
        alias="from",
        description=(
            "Start: a day (from its 00:00 UTC) or a date-time (from the interval holding it). "
            "Default: the window up to 'to'"
        ),
    )
    interval_to: DateOrInstant | None = Field(
        default=None,
        alias="to",
        description=(
            "End, included: a day (to its last interval, 23:45 UTC) or a date-time (to the "
            "interval holding it). Default: the window from 'from', or without 'from' the "
            "tenant's latest interval in the mart"
        ),
    )

    def instants(self) -> tuple[datetime | None, datetime | None]:
        """The range's ends as instants on the 15-minute grid (days: first and last interval)."""

        def instant(value: date | None, *, end: bool) -> datetime | None:
            if value is None or isinstance(value, datetime):
                return value
            midnight = datetime.combine(value, datetime.min.time(), UTC)
            return midnight + timedelta(days=1) - INTERVAL if end else midnight

        return instant(self.interval_from, end=False), instant(self.interval_to, end=True)


# -- pages ---------------------------------------------------------------------------------------

RowT = TypeVar("RowT", bound=BaseModel)


class DayPage(BaseModel, Generic[RowT]):
    """The caller's rows of one mart in a day range. Each endpoint's page subclasses
    ``DayPage[ItsRow]``, so the OpenAPI document names it."""

    tenant_id: str = Field(description="The tenant of the API key")
    date_from: date = Field(description="First day answered (UTC)")
    date_to: date = Field(description="Last day answered (UTC, included)")
    rows: list[RowT] = Field(description="The rows, in the order the page's description states")


class MonthPage(BaseModel, Generic[RowT]):
    """The caller's rows of one mart in a month range. Each endpoint's page subclasses
    ``MonthPage[ItsRow]``, so the OpenAPI document names it (``MrrPage``, ...)."""

    tenant_id: str = Field(description="The tenant of the API key")
    month_from: date = Field(description="First month answered (its first day)")
    month_to: date = Field(description="Last month answered (its first day)")
    rows: list[RowT] = Field(description="The rows, in the order the page's description states")


class IntervalPage(BaseModel, Generic[RowT]):
    """The caller's rows of one mart in a range of 15-minute intervals."""

    tenant_id: str = Field(description="The tenant of the API key")
    interval_from: datetime = Field(description="Start of the first interval answered (UTC)")
    interval_to: datetime = Field(description="Start of the last interval answered (UTC)")
    rows: list[RowT] = Field(description="The rows, in the order the page's description states")


PageT = TypeVar("PageT", bound=BaseModel)


def row_columns(page: type[BaseModel]) -> list[str]:
    """The columns a page reads: its row model's fields."""
    (row_model,) = get_args(page.model_fields["rows"].annotation)
    return list(row_model.model_fields)


@dataclass(frozen=True)
class RangedMartRead(Generic[PageT]):
    """How one list endpoint reads its mart: which mart, which page, the column the range
    filters (``range_column``), the policy resolving the range, the rows' order, the names
    the page gives the range's ends, and ``range_end``: the last column value the range's last
    unit covers (e.g. a month's last day for a column of days; default: the unit itself)."""

    mart: str
    page: type[PageT]
    range_column: str
    policy: RangePolicy[Any]
    order_by: tuple[str, ...]
    range_fields: tuple[str, str] = ("date_from", "date_to")
    range_end: Callable[[Any], Any] | None = None

    def for_query(
        self,
        reader: MartReader,
        tenant_id: str,
        query: BaseModel,
        *,
        latest: Callable[[], object] | None = None,
        page_fields: Mapping[str, Any] | None = None,
    ) -> PageT:
        """The page for a range query model: its ``from``/``to`` fields are the range, every
        other field an equality filter on the column of the same name (None: not filtered)."""
        fields = type(query).model_fields
        (first_field,) = (name for name, info in fields.items() if info.alias == "from")
        (last_field,) = (name for name, info in fields.items() if info.alias == "to")
        return self(
            reader,
            tenant_id,
            getattr(query, first_field),
            getattr(query, last_field),
            query.model_dump(mode="json", exclude={first_field, last_field}),
            latest=latest,
            page_fields=page_fields,
        )

    def __call__(
        self,
        reader: MartReader,
        tenant_id: str,
        first: date | None,
        last: date | None,
        equals: Mapping[str, Any],
        *,
        latest: Callable[[], object] | None = None,
        page_fields: Mapping[str, Any] | None = None,
    ) -> PageT:
        """The page of ``tenant_id``'s rows in the resolved range with ``equals`` (None values
        are not filtered); ``latest`` anchors the default window (default: the tenant's latest
        value of the range column in the mart); ``page_fields`` are the page's own fields."""
        resolved = self.policy.resolve(
            first,
            last,
            latest or (lambda: reader.latest_for_tenant(self.mart, tenant_id, self.range_column)),
        )
        table = reader.read_for_tenant(
            self.mart,
            tenant_id,
            columns=row_columns(self.page),
            date_range=DateRange(
                self.range_column,
                resolved[0],
                self.range_end(resolved[1]) if self.range_end else resolved[1],
            ),
            equals={name: value for name, value in equals.items() if value is not None},
            order_by=self.order_by,
        )
        return self.page.model_validate(
            {
                "tenant_id": tenant_id,
                self.range_fields[0]: resolved[0],
                self.range_fields[1]: resolved[1],
                "rows": table.to_pylist(),
                **(page_fields or {}),
            }
        )
