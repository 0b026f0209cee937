"""The ticket list (filters, sort, pages, CSV of the filtered list) and the ticket page."""

import io
import math
import re
from collections.abc import Iterator
from typing import Any

from flask import Response, abort, render_template, request, url_for

from bot.csv_safe import SafeWriter
from bot.dashboard.auth import AGENT, LEAD, allow
from bot.dashboard.context import Desk, blueprint, desk
from bot.dashboard.filters import PAGE_SIZE, STATUSES, BadQuery, ListQuery, read_list_query
from bot.kpi.report import slug
from store import names
from store.dashboard import (
    SORTS,
    UNASSIGNED,
    Row,
    count_tickets,
    filter_choices,
    iter_tickets,
    list_tickets,
)
from store.db import read_scope
from store.kpi.queries.sla import TARGETS
from store.ticket_page import ticket_page

CSV_COLUMNS = [
    "number", "subject", "status", "priority", "organization", "organization_id",
    "channel", "channel_id", "customer", "customer_id", "assignee", "assignee_id",
    "created_at", "first_response_at", "first_response_seconds", "resolved_at", "slack_link",
]  # fmt: skip
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _query() -> ListQuery:
    try:
        return read_list_query(desk().kpi, request.args)
    except BadQuery as error:
        abort(400, str(error))


def _names(here: Desk, rows: list[Row]) -> dict[str, dict[str, str]]:
    """Names for every id the rows show, by kind."""
    return {
        "org": here.names(names.ORG, {r.org_id for r in rows}),
        "channel": here.names(names.CHANNEL, {r.channel_id for r in rows}),
        "user": here.names(
            names.USER, {r.assignee_id for r in rows} | {r.customer_id for r in rows}
        ),
    }


@blueprint.get("/tickets")
@allow(LEAD, AGENT)
def tickets() -> str:
    """One page of the filtered, sorted list."""
    here = desk()
    query = _query()
    now = here.clock()
    first = (query.page - 1) * PAGE_SIZE
    with read_scope(here.engine, lookups=query.short) as session:
        total = count_tickets(session, workspace_id=here.workspace_id, wanted=query.filter, now=now)
        rows = list_tickets(
            session,
            workspace_id=here.workspace_id,
            wanted=query.filter,
            now=now,
            sort=query.sort,
            offset=first,
            limit=PAGE_SIZE,
        )
        window = query.range or here.kpi.parse_range("30d")
        choices = filter_choices(
            session, workspace_id=here.workspace_id, start=window.start, end=window.end
        )
    shown = _names(here, rows)
    chosen = {
        "org": query.filter.org,
        "agent": query.filter.agent,
        "channel": query.filter.channel,
        "type": query.filter.tag,
        "priority": query.filter.priority,
    }
    labels = {
        "org": here.names(names.ORG, [*choices["org"], chosen["org"]]),
        "agent": here.names(names.USER, [*choices["agent"], chosen["agent"]]),
        "channel": here.names(names.CHANNEL, [*choices["channel"], chosen["channel"]]),
    }
    for key, value in chosen.items():  # a drilled-down value stays choosable
        if value and value not in choices[key] and (key, value) != ("agent", UNASSIGNED):
            choices[key].append(value)
    args = {k: v for k, v in request.args.items(multi=True) if k != "page"}
    return render_template(
        "tickets.html",
        query=query,
        rows=rows,
        total=total,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        shown=shown,
        choices=choices,
        labels=labels,
        statuses=STATUSES,
        targets=TARGETS,
        sorts=SORTS,
        args=args,
        statuses_chosen=set(request.args.getlist("status")),
        csv_url=url_for("dashboard.tickets_csv", **request.args.to_dict(flat=False)),
        page_url=lambda page: url_for("dashboard.tickets", **{**_multi(args), "page": page}),
        sort_url=lambda key: url_for(
            "dashboard.tickets",
            **{**_multi(args), "sort": key if query.sort != key else "-" + key},
        ),
    )


def _multi(args: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in request.args.items(multi=True):
        if key in args:
            found.setdefault(key, []).append(value)
    return found


@blueprint.get("/tickets.csv")
@allow(LEAD, AGENT)
def tickets_csv() -> Response:
    """The whole filtered list as CSV (names and ids; times in ISO 8601 UTC)."""
    here = desk()
    query = _query()
    now = here.clock()
    known = {kind: _all_names(here, kind) for kind in (names.ORG, names.CHANNEL, names.USER)}

    def generate() -> Iterator[str]:
        out = io.StringIO()
        writer = SafeWriter(out)  # subjects are the customers' words: no live formulas
        writer.writerow(CSV_COLUMNS)
        with read_scope(here.engine, lookups=query.short) as session:
            for row in iter_tickets(
                session,
                workspace_id=here.workspace_id,
                wanted=query.filter,
                now=now,
                sort=query.sort,
            ):
                writer.writerow(_csv_row(row, known))
                if out.tell() > 64 * 1024:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
        yield out.getvalue()

    label = slug(query.range.label) if query.range else "all"
    return Response(
        generate(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="tickets-{label}.csv"'},
    )


def _all_names(here: Desk, kind: str) -> dict[str, str]:
    with read_scope(here.engine) as session:
        return names.known_names(session, kind=kind)


def _csv_row(row: Any, known: dict[str, dict[str, str]]) -> list[Any]:
    """One ticket as CSV cells: names beside ids, times in ISO 8601 (UTC)."""
    orgs, channels, users = known[names.ORG], known[names.CHANNEL], known[names.USER]
    org, channel, customer, assignee = row.org_id, row.channel_id, row.customer_id, row.assignee_id
    answered, resolved = row.first_response_at, row.resolved_at
    return [
        row.number, row.subject, row.status, row.priority,
        orgs.get(org, org) if org else "", org or "",
        channels.get(channel, channel) if channel else "", channel or "",
        users.get(customer, customer) if customer else "", customer or "",
        users.get(assignee, assignee) if assignee else "", assignee or "",
        row.created_at.isoformat(), answered.isoformat() if answered else "",
        "" if row.frt_seconds is None else row.frt_seconds,
        resolved.isoformat() if resolved else "", row.permalink or "",
    ]  # fmt: skip


@blueprint.get("/tickets/<int:number>")
@allow(LEAD, AGENT)
def ticket(number: int) -> str:
    """One ticket: conversation, activity, SLA targets, CSAT, merges and links."""
    here = desk()
    with read_scope(here.engine) as session:
        page = ticket_page(session, workspace_id=here.workspace_id, number=number)
    if page is None:
        abort(404, f"There is no ticket #{number}.")
    people = {m.user_id for m in page.messages} | {a.actor_id for a in page.activity}
    people |= {page.ticket.customer_id, page.ticket.assignee_id}
    for entry in page.activity:
        detail = entry.detail or {}  # rows written before details were kept have none
        people |= {str(v) for k, v in detail.items() if k in ("to", "from") and v}
    for message in page.messages:
        people |= set(MENTION.findall(message.text))
    users = here.names(names.USER, people)
    now = here.clock()
    return render_template(
        "ticket.html",
        page=page,
        t=page.ticket,
        users=users,
        org=here.names(names.ORG, [page.ticket.customer_team_id]),
        channel=here.names(names.CHANNEL, [page.ticket.channel_id]),
        now=now,
        mentions=lambda text: MENTION.sub(lambda m: "@" + users.get(m.group(1), m.group(1)), text),
        outcome=lambda target: _outcome(target, now),
    )


def _outcome(target: Any, now: Any) -> str:
    """met (in time) | breached | due (not yet) — as the KPI counts them."""
    if target.met_at is not None:
        return "met" if target.met_at <= target.due_at else "breached"
    return "breached" if target.due_at < now else "due"
