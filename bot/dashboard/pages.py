"""The overview, SLA, known-issues and knowledge-base-gaps pages."""

from typing import Any

from flask import abort, g, render_template, request, url_for

from bot.dashboard import charts, numbers
from bot.dashboard.auth import AGENT, LEAD, allow
from bot.dashboard.context import blueprint, desk
from bot.dashboard.filters import BadQuery, read_range
from bot.dashboard.svg import render
from bot.kpi.service import KpiQuery
from bot.ranges import DateRange
from store import names
from store.dashboard import TicketFilter, count_tickets
from store.db import read_scope

RANGES = ("today", "7d", "30d", "90d", "this month", "last month", "365d")


def _range() -> tuple[str, DateRange]:
    """The page's range (`?range=`), or a 400 that says what is accepted."""
    try:
        text, date_range = read_range(desk().kpi, request.args)
    except BadQuery as error:
        abort(400, str(error))
    if date_range is None:
        abort(400, "Pick a range: all time is only for the ticket list.")
    return text, date_range


def tickets_link(range_text: str) -> Any:
    """A function: filters -> the ticket list's URL over the page's range."""

    def link(**filters: str) -> str:
        return url_for("dashboard.tickets", **{"range": range_text, **filters})

    return link


@blueprint.get("/")
@allow(LEAD, AGENT)
def overview() -> str:
    """Leads: the summary with trends and four charts. Agents: their numbers and queues."""
    text, date_range = _range()
    here = desk()
    if not g.viewer.is_lead:
        return _agent_overview(text, date_range)
    kpi, link = here.kpi, tickets_link(text)
    report, earlier, volume, frt, sla, stars = numbers.parallel(
        lambda: kpi.report(KpiQuery("summary", date_range)),
        lambda: kpi.report(KpiQuery("summary", date_range.previous())),
        lambda: numbers.volume_days(kpi, date_range),
        lambda: numbers.frt_days(kpi, date_range),
        lambda: numbers.sla_buckets(kpi, date_range),
        lambda: numbers.csat_stars(kpi, date_range),
    )
    kpis = numbers.compare(report, earlier)
    drawn = [
        charts.volume_chart(volume, link),
        charts.frt_chart(*frt, link),
        charts.sla_chart(sla, link),
        charts.csat_chart(stars, link, text),
    ]
    return render_template(
        "overview.html",
        range_text=text,
        date_range=date_range,
        ranges=RANGES,
        report=report,
        kpis=kpis,
        link=link,
        charts=[(chart, render(chart)) for chart in drawn],
    )


def _agent_overview(text: str, date_range: DateRange) -> str:
    here = desk()
    me = g.viewer.user_id
    mine = numbers.agent_numbers(here.kpi, date_range, me)
    now = here.clock()
    queues = {
        "mine": TicketFilter(statuses=("new", "open", "pending"), agent=me),
        "unassigned": TicketFilter(statuses=("new",)),
        "breaching": TicketFilter(breaching=True),
    }
    with read_scope(here.engine) as session:
        counts = {
            key: count_tickets(session, workspace_id=here.workspace_id, wanted=wanted, now=now)
            for key, wanted in queues.items()
        }
    return render_template(
        "agent.html",
        range_text=text,
        date_range=date_range,
        ranges=RANGES,
        mine=mine,
        counts=counts,
        link=tickets_link(text),
    )


@blueprint.get("/sla")
@allow(LEAD)
def sla_page() -> str:
    """SLA targets due, met and breached per day, by agent and by organization."""
    text, date_range = _range()
    here = desk()
    link = tickets_link(text)
    buckets, report, by_agent, by_org = numbers.parallel(
        lambda: numbers.sla_buckets(here.kpi, date_range),
        lambda: here.kpi.report(KpiQuery("sla", date_range)),
        lambda: numbers.sla_by(here.kpi, date_range, "agent"),
        lambda: numbers.sla_by(here.kpi, date_range, "org"),
    )
    agents = numbers.named_rows(by_agent, lambda ids: here.names(names.USER, ids))
    orgs = numbers.named_rows(by_org, lambda ids: here.names(names.ORG, ids))
    return render_template(
        "sla.html",
        range_text=text,
        date_range=date_range,
        ranges=RANGES,
        report=report,
        buckets=buckets,
        per="week" if any(".." in b.range_text for b in buckets) else "day",
        chart=render(charts.sla_chart(buckets, link)),
        agents=agents,
        orgs=orgs,
        link=link,
    )


@blueprint.get("/known")
@allow(LEAD, AGENT)
def known_issues() -> str:
    """Linked issues ranked by the organizations (customers) they affect."""
    text, date_range = _range()
    report = desk().kpi.report(KpiQuery("known", date_range))
    return render_template(
        "known.html",
        range_text=text,
        date_range=date_range,
        ranges=RANGES,
        rows=report.table("issues").dicts(),
        link=tickets_link(text),
    )


@blueprint.get("/kb-gaps")
@allow(LEAD, AGENT)
def kb_gaps() -> str:
    """Questions the knowledge base could not answer, grouped: articles to write."""
    text, date_range = _range()
    here = desk()
    gaps = here.suggestions.gaps(
        workspace_id=here.workspace_id, since=date_range.start, until=date_range.end
    )
    return render_template(
        "gaps.html",
        range_text=text,
        date_range=date_range,
        ranges=RANGES,
        gaps=gaps,
        link=tickets_link("all"),
    )
