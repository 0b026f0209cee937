"""The ticket list's query string, read strictly: a value it does not know is a 400 that
says which, never a silently wider list."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from bot.kpi.service import KpiError, KpiService
from bot.ranges import DateRange
from store.dashboard import ON, SLA_OUTCOMES, SORTS, TicketFilter
from store.kpi.queries.scope import LOOKUP_DAYS
from store.kpi.queries.sla import TARGETS
from store.models import TicketStatus
from store.statuses import DONE, LIVE

DEFAULT_RANGE = "30d"
ALL = "all"  # every ticket, whenever
PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_VALUE = 500
STATUS_GROUPS = {"live": tuple(str(s) for s in LIVE), "done": tuple(str(s) for s in DONE)}
STATUSES = tuple(str(s) for s in TicketStatus)
TEXT_FIELDS = ("org", "agent", "channel", "tag", "priority", "link")


class BadQuery(ValueError):
    """A query-string value the dashboard does not accept; the message says which."""


@dataclass(frozen=True)
class ListQuery:
    """The list as asked: the range (None: all time), the filter, the order and page."""

    range_text: str
    range: DateRange | None
    filter: TicketFilter
    sort: str
    page: int

    @property
    def short(self) -> bool:
        """Whether few tickets match (a short range, or those past an SLA target now): read
        by key, one ticket at a time (store.db.read_scope's `lookups`)."""
        if self.filter.breaching:
            return True
        span = None if self.range is None else self.range.end - self.range.start
        return span is not None and span <= timedelta(days=LOOKUP_DAYS)


def read_range(service: KpiService, args: MultiDict[str, str]) -> tuple[str, DateRange | None]:
    """The `range` argument (the words `/kpi` takes; `all` for no range)."""
    text = (args.get("range") or DEFAULT_RANGE).strip()[:60]
    if text == ALL:
        return text, None
    try:
        return text, service.parse_range(text)
    except KpiError as error:
        raise BadQuery(str(error).replace("`", "")) from None


def _choice(args: MultiDict[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = args.get(name) or None
    if value is not None and value not in allowed:
        raise BadQuery(f"{name}={value[:40]!r}: use one of {', '.join(allowed)}")
    return value


def _number(args: MultiDict[str, str], name: str, low: int, high: int) -> int | None:
    value = args.get(name) or None
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise BadQuery(f"{name}={value[:40]!r}: a whole number from {low} to {high}")
    return int(value)


def read_list_query(service: KpiService, args: MultiDict[str, str]) -> ListQuery:
    """The list's filter, sort and page from a query string, or BadQuery."""
    range_text, date_range = read_range(service, args)
    statuses: list[str] = []
    for value in args.getlist("status"):
        if value in STATUS_GROUPS:
            statuses += STATUS_GROUPS[value]
        elif value in STATUSES:
            statuses.append(value)
        elif value:
            raise BadQuery(f"status={value[:40]!r}: use live, done or {', '.join(STATUSES)}")
    texts: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = (args.get(name) or "").strip()
        if len(value) > MAX_VALUE:
            raise BadQuery(f"{name}: at most {MAX_VALUE} characters")
        texts[name] = value or None
    numbers = []
    for part in (args.get("numbers") or "").replace("#", "").split(","):
        part = part.strip()
        if part and not (part.isascii() and part.isdigit() and len(part) <= 9):
            raise BadQuery(f"numbers: ticket numbers separated by commas, not {part[:20]!r}")
        if part:
            numbers.append(int(part))
    sort = args.get("sort") or "-created"
    if sort.lstrip("-") not in SORTS:
        raise BadQuery(f"sort={sort[:40]!r}: sort by {', '.join(SORTS)} (- first: descending)")
    wanted = TicketFilter(
        start=date_range.start if date_range else None,
        end=date_range.end if date_range else None,
        on=_choice(args, "on", ON) or "created",
        statuses=tuple(dict.fromkeys(statuses)),
        breaching=args.get("breaching") in ("1", "on", "true"),
        sla=_choice(args, "sla", SLA_OUTCOMES),
        target=_choice(args, "target", TARGETS),
        stars=_number(args, "stars", 1, 5),
        numbers=tuple(numbers),
        **texts,
    )
    return ListQuery(range_text, date_range, wanted, sort, _number(args, "page", 1, MAX_PAGE) or 1)
