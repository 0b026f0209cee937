"""One builder per KPI: query the store, shape the numbers into a `Report`."""

import calendar as months
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.business_time import BusinessCalendar, Calendar
from bot.config import Costs
from bot.kpi import labels
from bot.kpi.business import open_seconds
from bot.kpi.report import COUNT, MONEY, PERCENT, RATIO, SECONDS, STARS, TEXT, Figure, Report, Table
from bot.ranges import previous_range
from store.kpi.queries import feedback, groups, sla, ticket_types, timing, volume
from store.kpi.queries.scope import TEAM, Scope
from store.kpi.sqlfn import ALL, Dist, local_days, overall, python_dist

TYPE_TOP = 10


@dataclass(frozen=True)
class Ctx:
    """The question: a range, the moment it is asked, the team's calendar and costs."""

    start: datetime
    end: datetime
    label: str
    now: datetime
    timezone: str
    business: Calendar
    costs: Costs

    @property
    def previous(self) -> tuple[datetime, datetime]:
        """The range just before this one, as many calendar days long in the team's
        timezone (bot/ranges.previous_range)."""
        return previous_range(self.start, self.end, self.timezone)

    def report(self, metric: str, title: str) -> Report:
        """An empty report for this range."""
        return Report(metric, title, self.label, self.start, self.end, currency=self.costs.currency)


def ratio(part: int | float, whole: int | float) -> float | None:
    """part / whole rounded to 4 places, None when the whole is zero."""
    return round(part / whole, 4) if whole else None


def trend(current: int, previous: int) -> float | None:
    """Change against the previous range in percent, None when there was nothing before."""
    return round((current - previous) / previous * 100, 1) if previous else None


def dist_figures(prefix: str, label: str, dist: Dist) -> list[Figure]:
    """count / median / mean / p90 figures of a distribution."""
    return [
        Figure(f"{prefix}_count", f"{label}: tickets", dist.count),
        Figure(f"{prefix}_median", f"{label}: median", dist.median, SECONDS),
        Figure(f"{prefix}_mean", f"{label}: mean", dist.mean, SECONDS),
        Figure(f"{prefix}_p90", f"{label}: p90", dist.p90, SECONDS),
    ]


def business_frt(session: Session, ctx: Ctx, scope: Scope = TEAM) -> dict[object, Dist]:
    """Business-hours first response time per group.

    A business calendar's durations are stored per ticket (ticket_fact, counted with the
    days KpiService keeps in kpi_open_day); any other calendar meets the smallest fetch
    (two epoch seconds per ticket) in Python.
    """
    if isinstance(ctx.business, BusinessCalendar):
        return timing.frt_business(session, start=ctx.start, end=ctx.end, scope=scope)
    rows = timing.frt_pairs(session, start=ctx.start, end=ctx.end, scope=scope)
    seconds = open_seconds(ctx.business, ((created, answered) for _, created, answered in rows))
    values: dict[object, list[float]] = {}
    for (group, _, _), elapsed in zip(rows, seconds, strict=True):
        values.setdefault(group, []).append(elapsed)
    return {group: python_dist(found) for group, found in values.items()}


def volume_report(session: Session, ctx: Ctx) -> Report:
    """Tickets created, resolved, backlog, messages in and out, by day."""
    report = ctx.report("volume", "Volume")
    created = volume.count_created(session, start=ctx.start, end=ctx.end)
    resolved = volume.count_resolved(session, start=ctx.start, end=ctx.end)
    messages_in, messages_out = volume.count_messages(session, start=ctx.start, end=ctx.end)
    report.figures += [
        Figure("created", "Tickets created", created),
        Figure("resolved", "Tickets resolved", resolved),
        Figure("backlog", "Open at the end", volume.backlog_at(session, end=ctx.end)),
        Figure("messages_in", "Messages in (customers)", messages_in),
        Figure("messages_out", "Messages out (agents)", messages_out),
    ]
    report.tables.append(days_table(session, ctx))
    return report


def days_table(session: Session, ctx: Ctx, *, messages: bool = True) -> Table:
    """Per local day: created, resolved, daily resolution rate (and messages in and out)."""
    counts = volume.by_day(
        session, start=ctx.start, end=ctx.end, timezone=ctx.timezone, messages=messages
    )
    rows = []
    for day in local_days(ctx.timezone, ctx.start, ctx.end):
        found = counts.get(day) or volume.DayCounts(day)
        rate = ratio(found.resolved, found.created)
        rows.append([day, found.created, found.resolved, rate])
        if messages:
            rows[-1] += [found.messages_in, found.messages_out]
    columns = ["day", "created", "resolved", "resolution_rate", "messages_in", "messages_out"]
    width = 6 if messages else 4
    units = [TEXT, COUNT, COUNT, RATIO, COUNT, COUNT]
    return Table("days", "By day", columns[:width], rows, units[:width])


def frt_report(session: Session, ctx: Ctx) -> Report:
    """First response time, calendar and business hours."""
    report = ctx.report("frt", "First response time")
    calendar_dist = overall(timing.frt(session, start=ctx.start, end=ctx.end))
    business = business_frt(session, ctx).get(ALL) or python_dist([])
    report.figures += dist_figures("frt", "Calendar", calendar_dist)
    report.figures += dist_figures("frt_business", "Business hours", business)[1:]
    report.figures.append(
        Figure(
            "unanswered",
            "Not answered yet",
            timing.unanswered(session, start=ctx.start, end=ctx.end),
        )
    )
    return report


def sla_report(session: Session, ctx: Ctx) -> Report:
    """Targets due in the range: met in time, breached, still running, breaches per day."""
    report = ctx.report("sla", "SLA")
    counts, by_day = sla.team_targets_and_breaches(
        session, start=ctx.start, end=ctx.end, now=ctx.now, timezone=ctx.timezone
    )
    per_target = {target: counts.get(target, sla.TargetCounts()) for target in sla.TARGETS}
    total = sum(per_target.values(), sla.TargetCounts())
    report.figures.append(Figure("within", "Within target", total.within, RATIO))
    for target, found in per_target.items():
        name = target.replace("_", " ")
        report.figures.append(Figure(f"{target}_breaches", f"Breaches: {name}", found.breached))
    report.figures += [
        Figure("due", "Targets due", total.due),
        Figure("running", "Still running (due later)", total.running),
        Figure("breaches", "Breaches", total.breached),
    ]
    report.tables.append(
        Table(
            "targets",
            "By target",
            ["target", "due", "met_in_time", "breached", "running", "within"],
            [
                [
                    target,
                    found.due,
                    found.met_in_time,
                    found.breached,
                    found.running,
                    found.within,
                ]
                for target, found in per_target.items()
            ],
            [TEXT, COUNT, COUNT, COUNT, COUNT, RATIO],
        )
    )
    rows = [
        [day, *(by_day.get((day, target), 0) for target in sla.TARGETS)]
        for day in local_days(ctx.timezone, ctx.start, ctx.end)
    ]
    report.tables.append(
        Table("days", "Breaches by day", ["day", *sla.TARGETS], rows, [TEXT] + [COUNT] * 3)
    )
    return report


def resolution_report(session: Session, ctx: Ctx) -> Report:
    """Resolution time, daily resolution rate, reopen rate, one-touch resolution."""
    report = ctx.report("resolution", "Resolution")
    dist = overall(timing.resolution(session, start=ctx.start, end=ctx.end))
    counts = timing.resolution_counts(session, start=ctx.start, end=ctx.end)
    created = volume.count_created(session, start=ctx.start, end=ctx.end)
    report.figures += [
        Figure("resolved", "Tickets resolved", counts.resolved),
        Figure("resolution_median", "Resolution time: median", dist.median, SECONDS),
        Figure("resolution_mean", "Resolution time: mean", dist.mean, SECONDS),
        Figure("resolution_p90", "Resolution time: p90", dist.p90, SECONDS),
        Figure("resolution_rate", "Resolved / created", ratio(counts.resolved, created), RATIO),
        Figure("reopened", "Resolved after a reopen", counts.reopened),
        Figure("reopen_rate", "Reopen rate", ratio(counts.reopened, counts.resolved), RATIO),
        Figure("one_touch", "One-touch resolutions", counts.one_touch),
        Figure(
            "one_touch_rate",
            "One-touch rate (of agent-resolved)",
            one_touch_rate(counts),
            RATIO,
        ),
        Figure("self_served", "Self-served", counts.self_served),
        Figure(
            "reopens", "Reopenings in range", timing.reopens(session, start=ctx.start, end=ctx.end)
        ),
    ]
    report.tables.append(days_table(session, ctx, messages=False))
    return report


def one_touch_rate(counts: timing.ResolutionCounts) -> float | None:
    """One-touch resolutions over the tickets agents resolved (self-served ones left out:
    no agent touched them, so they would only dilute the rate)."""
    return ratio(counts.one_touch, counts.resolved - counts.self_served)


def handle_report(session: Session, ctx: Ctx) -> Report:
    """Agent handle time of tickets resolved in the range."""
    report = ctx.report("handle", "Handle time")
    dist = overall(timing.handle(session, start=ctx.start, end=ctx.end))
    report.figures += dist_figures("handle", "Handle time", dist)
    if isinstance(ctx.business, BusinessCalendar):  # counted with kpi_open_day's days
        business = overall(timing.handle_business(session, start=ctx.start, end=ctx.end))
        report.figures += dist_figures("handle_business", "Business hours", business)[1:]
    return report


def types_report(session: Session, ctx: Ctx) -> Report:
    """Top types, types new in the range, and each type's trend against the previous range."""
    report = ctx.report("types", "Ticket types")
    current = ticket_types.type_counts(session, start=ctx.start, end=ctx.end)
    before = ticket_types.type_counts(session, start=ctx.previous[0], end=ctx.previous[1])
    new = ticket_types.new_types(session, start=ctx.start, end=ctx.end)
    ranked = sorted(current.items(), key=lambda item: (-item[1], item[0]))[:TYPE_TOP]
    rows = [
        [tag, count, before.get(tag, 0), trend(count, before.get(tag, 0)), tag in new]
        for tag, count in ranked
    ]
    report.figures += [
        Figure("types", "Types seen", len(current)),
        Figure("new_types", "New types", ", ".join(new) or None, TEXT),
    ]
    report.tables.append(
        Table(
            "types",
            "Top types",
            ["type", "tickets", "previous", "trend", "new"],
            rows,
            [TEXT, COUNT, COUNT, PERCENT, TEXT],
        )
    )
    return report


def csat_report(session: Session, ctx: Ctx) -> Report:
    """Survey response rate, average stars, share of 4-5 stars, comments."""
    report = ctx.report("csat", "Customer satisfaction")
    found = feedback.csat(session, start=ctx.start, end=ctx.end).get(ALL, feedback.Csat())
    report.figures += [
        Figure("asked", "Surveys asked", found.asked),
        Figure("answered", "Answered", found.answered),
        Figure("response_rate", "Response rate", _r(found.response_rate), RATIO),
        Figure("average", "Average", found.average, STARS),
        Figure("happy_rate", "4–5 stars", _r(found.happy_rate), RATIO),
        Figure("comments", "Comments", found.comments),
    ]
    comments = feedback.recent_comments(session, start=ctx.start, end=ctx.end)
    report.tables.append(
        Table(
            "comments",
            "Latest comments",
            ["ticket", "stars", "comment"],
            [[f"#{number}", stars, text] for number, stars, text in comments],
            [TEXT, COUNT, TEXT],
        )
    )
    return report


def spend(costs: Costs, ctx: Ctx) -> float:
    """The monthly spend prorated over the range, day by day in the team's timezone."""
    zone = ZoneInfo(ctx.timezone)
    total = 0.0
    day = ctx.start.astimezone(zone).date()
    last = (ctx.end - timedelta(microseconds=1)).astimezone(zone).date()
    while day <= last:
        total += costs.monthly_spend / months.monthrange(day.year, day.month)[1]
        day += timedelta(days=1)
    return round(total, 2)


def per_ticket(total: float, tickets: int) -> float | None:
    """Spend divided by a number of tickets, to the cent (None without tickets)."""
    return round(total / tickets, 2) if tickets else None


def cost_report(session: Session, ctx: Ctx) -> Report:
    """Prorated spend per ticket created and per ticket resolved, and per organization."""
    report = ctx.report("cost", "Cost per ticket")
    total = spend(ctx.costs, ctx)
    per_org = groups.created(session, start=ctx.start, end=ctx.end, scope=Scope("org"))
    tickets = sum(per_org.values())
    resolved = volume.count_resolved(session, start=ctx.start, end=ctx.end)
    each = per_ticket(total, tickets)
    report.figures += [
        Figure("spend", "Spend (prorated)", total, MONEY),
        Figure("tickets", "Tickets created", tickets),
        Figure("cost_per_ticket", "Cost per ticket created", each, MONEY),
        Figure("resolved", "Tickets resolved", resolved),
        Figure("cost_per_resolved", "Cost per ticket resolved", per_ticket(total, resolved), MONEY),
    ]
    known = labels.lookup(session, "org", per_org)
    rows = [
        [labels.label(known, org), org, count, round(total * count / tickets, 2)]
        for org, count in sorted(per_org.items(), key=lambda item: (-item[1], item[0]))
    ]
    report.tables.append(
        Table(
            "orgs",
            "By organization",
            ["org", "org_id", "tickets", "cost"],
            rows,
            [TEXT, TEXT, COUNT, MONEY],
        )
    )
    return report


def selfservice_report(session: Session, ctx: Ctx) -> Report:
    """Suggestion rate, deflection rate and the articles that solved tickets."""
    report = ctx.report("selfservice", "Self-service")
    found = feedback.self_service(session, start=ctx.start, end=ctx.end)
    created = volume.count_created(session, start=ctx.start, end=ctx.end)
    report.figures += [
        Figure("tickets", "Tickets created", created),
        Figure("suggested", "Shown articles", found.shown),
        Figure("suggestion_rate", "Suggestion rate", ratio(found.shown, created), RATIO),
        Figure("deflected", "Solved by an article", found.solved),
        Figure("deflection_rate", "Deflection rate", ratio(found.solved, created), RATIO),
    ]
    report.tables.append(
        Table(
            "articles",
            "Top articles",
            ["article", "solved"],
            [list(item) for item in found.top_articles],
            [TEXT, COUNT],
        )
    )
    return report


def known_report(session: Session, ctx: Ctx) -> Report:
    """Bugs and feature requests linked from tickets, by customers (people) affected."""
    report = ctx.report("known", "Known issues")
    issues = feedback.known_issues(session, start=ctx.start, end=ctx.end)
    report.figures.append(Figure("issues", "Linked issues", len(issues)))
    rows = [
        [issue.ref, issue.customers, issue.organizations, issue.tickets, issue.open_tickets]
        for issue in issues
    ]
    report.tables.append(
        Table(
            "issues",
            "Known issues",
            ["issue", "customers", "organizations", "tickets", "open"],
            rows,
            [TEXT, COUNT, COUNT, COUNT, COUNT],
        )
    )
    return report


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
