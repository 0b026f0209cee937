"""KPIs per agent, channel, organization, type or priority; the summary card; at-risk accounts."""

from sqlmodel import Session

from bot.business_time import BusinessCalendar
from bot.kpi import labels
from bot.kpi.metrics import (
    Ctx,
    business_frt,
    one_touch_rate,
    per_ticket,
    ratio,
    spend,
    trend,
)
from bot.kpi.report import COUNT, MONEY, PERCENT, RATIO, SECONDS, STARS, TEXT, Figure, Report, Table
from store.kpi.queries import feedback, group_read, sla, timing, volume
from store.kpi.queries.group_read import GroupTotals
from store.kpi.queries.scope import Scope
from store.kpi.sqlfn import ALL, overall
from store.kpi.triggers.group_rollup import UNASSIGNED

UNASSIGNED_LABEL = "Unassigned"  # the row of tickets no agent holds (breaches included)
# An account is at risk when any of these holds over the range.
AT_RISK_CSAT = 3.5  # average stars below this
AT_RISK_BREACHES = 2  # this many SLA breaches or more
AT_RISK_GROWTH = 50.0  # volume up this many percent or more...
AT_RISK_MIN_TICKETS = 5  # ...with at least this many tickets


def at_risk_reasons(
    csat: float | None, breaches: int, created: int, growth: float | None
) -> list[str]:
    """Why an organization or channel needs attention (empty: it does not)."""
    reasons = []
    if csat is not None and csat < AT_RISK_CSAT:
        reasons.append(f"CSAT {csat:.1f}")
    if breaches >= AT_RISK_BREACHES:
        reasons.append(f"{breaches} SLA breaches")
    if growth is not None and growth >= AT_RISK_GROWTH and created >= AT_RISK_MIN_TICKETS:
        reasons.append(f"volume {growth:+.0f}%")
    return reasons


def breakdown_report(
    session: Session, ctx: Ctx, dimension: str, agent_id: str | None = None
) -> Report:
    """One row per group with the numbers that matter for that dimension.

    Durations are averages: they add up over days (kpi_group_day), so a year's breakdown
    reads a few thousand rows and stays exact; medians are on the team-wide cards.
    """
    title = "Your numbers" if agent_id else f"By {dimension}"
    report = ctx.report(f"by_{dimension}", title)
    found = group_read.totals(
        session, dimension=dimension, start=ctx.start, end=ctx.end, now=ctx.now, group=agent_id
    )
    business = _business_means(session, ctx, dimension, agent_id)
    keys = set(found) if agent_id is None else {agent_id}
    previous: dict[str, GroupTotals] = {}
    if dimension in ("org", "channel"):
        start, end = ctx.previous
        previous = group_read.totals(
            session, dimension=dimension, start=start, end=end, now=ctx.now, only=("created",)
        )
    rows = []
    empty = GroupTotals()
    named = labels.named(dimension)
    known = labels.lookup(session, dimension, keys)
    # Busiest first; the unassigned row last, below the people.
    for key in sorted(keys, key=lambda k: (k == UNASSIGNED, -found.get(k, empty).created, str(k))):
        group = found.get(key, empty)
        frt_business = group.frt_business_mean if business is None else business.get(key)
        name = UNASSIGNED_LABEL if key == UNASSIGNED else labels.label(known, key)
        row = [name, key] if named else [key]
        row += [group.created, group.resolved, group.frt_mean, frt_business]
        row += [group.breached, group.csat_average]
        if dimension == "agent":
            row += [group.claims, group.handle_mean]
        if dimension in ("org", "channel"):
            before = previous.get(key, empty).created
            growth = trend(group.created, before)
            reasons = at_risk_reasons(group.csat_average, group.breached, group.created, growth)
            row += [before, growth, "; ".join(reasons) or None]
        rows.append(row)
    columns = [
        dimension,
        "created",
        "resolved",
        "frt_mean",
        "frt_business_mean",
        "breaches",
        "csat",
    ]
    units = [TEXT, COUNT, COUNT, SECONDS, SECONDS, COUNT, STARS]
    if named:  # the name first, for people; the id beside it, for joins
        columns.insert(1, dimension + labels.ID_SUFFIX)
        units.insert(1, TEXT)
    if dimension == "agent":
        columns += ["claimed", "handle_mean"]
        units += [COUNT, SECONDS]
    if dimension in ("org", "channel"):
        columns += ["previous", "trend", "at_risk"]
        units += [COUNT, PERCENT, TEXT]
        report.figures.append(Figure("at_risk", "At risk", sum(1 for row in rows if row[-1])))
    report.tables.append(Table(dimension, title, columns, rows, units))
    return report


def _business_means(
    session: Session, ctx: Ctx, dimension: str, agent_id: str | None
) -> dict[object, float | None] | None:
    """Business-hours FRT means computed in Python, for calendars SQL cannot count with
    (None: the stored business-hours seconds apply)."""
    if isinstance(ctx.business, BusinessCalendar):
        return None
    found = business_frt(session, ctx, Scope(dimension, agent_id))
    return {group: dist.mean for group, dist in found.items()}


def summary_report(session: Session, ctx: Ctx) -> Report:
    """The card `/kpi` alone shows: the headline of every metric."""
    report = ctx.report("summary", "Support summary")
    window = {"start": ctx.start, "end": ctx.end}
    created = volume.count_created(session, **window)
    frt = overall(timing.frt(session, **window))
    business = business_frt(session, ctx).get(ALL)
    resolution = overall(timing.resolution(session, **window))
    counts = timing.resolution_counts(session, **window)
    targets = sla.team_total(session, **window, now=ctx.now)
    csat = feedback.csat(session, **window).get(ALL, feedback.Csat())
    deflected = feedback.self_service(session, **window, top=0).solved
    total = spend(ctx.costs, ctx)
    report.figures += [
        Figure("created", "Tickets created", created),
        Figure("resolved", "Tickets resolved", counts.resolved),
        Figure("backlog", "Open at the end", volume.backlog_at(session, end=ctx.end)),
        Figure("frt_median", "First response (median)", frt.median, SECONDS),
        Figure(
            "frt_business_median",
            "First response, business hours",
            business.median if business else None,
            SECONDS,
        ),
        Figure("sla_within", "Within SLA", targets.within, RATIO),
        Figure("breaches", "SLA breaches", targets.breached),
        Figure("resolution_median", "Resolution (median)", resolution.median, SECONDS),
        Figure("reopen_rate", "Reopen rate", ratio(counts.reopened, counts.resolved), RATIO),
        Figure(
            "one_touch_rate", "One-touch rate (of agent-resolved)", one_touch_rate(counts), RATIO
        ),
        Figure("csat_average", "CSAT", csat.average, STARS),
        Figure("csat_response_rate", "CSAT response rate", ratio(csat.answered, csat.asked), RATIO),
        Figure("deflection_rate", "Deflection rate", ratio(deflected, created), RATIO),
        Figure("cost_per_ticket", "Cost per ticket created", per_ticket(total, created), MONEY),
        Figure(
            "cost_per_resolved",
            "Cost per ticket resolved",
            per_ticket(total, counts.resolved),
            MONEY,
        ),
    ]
    return report
