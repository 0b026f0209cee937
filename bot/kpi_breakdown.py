"""KPIs per agent, channel, organization, type or priority; the summary card; at-risk accounts."""

from sqlmodel import Session

from bot.kpi_metrics import Ctx, business_frt, ratio, spend, trend
from bot.kpi_report import COUNT, MONEY, PERCENT, RATIO, SECONDS, STARS, TEXT, Figure, Report, Table
from store.kpi import feedback, groups, sla, timing, volume
from store.kpi.scope import Scope
from store.kpi.sqlfn import ALL, overall

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
    """One row per group with the numbers that matter for that dimension."""
    scope = Scope(dimension, agent_id)
    title = "Your numbers" if agent_id else f"By {dimension}"
    report = ctx.report(f"by_{dimension}", title)
    window = {"start": ctx.start, "end": ctx.end}
    created = groups.created(session, **window, scope=scope)
    resolved = groups.resolved(session, **window, scope=scope)
    frt = timing.frt(session, **window, scope=scope)
    frt_business = business_frt(session, ctx, scope)
    csat = feedback.csat(session, **window, scope=scope)
    targets = sla.targets(session, **window, now=ctx.now, scope=scope)
    breaches: dict[object, int] = {}
    for (group, _target), found in targets.items():
        breaches[group] = breaches.get(group, 0) + found.breached
    extra: dict[str, dict[object, object]] = {}
    if dimension == "agent":
        extra["claimed"] = dict(groups.claims(session, **window))
        extra["handle"] = {
            g: d.median for g, d in timing.handle(session, **window, scope=scope).items()
        }
    keys = (
        set(created)
        | set(resolved)
        | set(frt)
        | set(csat)
        | set(breaches)
        | set(extra.get("claimed", {}))
    )
    keys.discard(None)
    if agent_id is not None:
        keys = {agent_id}
    previous = {}
    if dimension in ("org", "channel"):
        previous = groups.created(session, start=ctx.previous[0], end=ctx.previous[1], scope=scope)
    rows = []
    for key in sorted(keys, key=lambda k: (-created.get(k, 0), str(k))):
        score = csat.get(key)
        average = score.average if score else None
        row = [key, created.get(key, 0), resolved.get(key, 0)]
        median = frt[key].median if key in frt else None
        business = frt_business[key].median if key in frt_business else None
        row += [median, business, breaches.get(key, 0), average]
        if dimension == "agent":
            row += [extra["claimed"].get(key, 0), extra["handle"].get(key)]
        if dimension in ("org", "channel"):
            before = previous.get(key, 0)
            growth = trend(created.get(key, 0), before)
            reasons = at_risk_reasons(average, breaches.get(key, 0), created.get(key, 0), growth)
            row += [before, growth, "; ".join(reasons) or None]
        rows.append(row)
    columns = [
        dimension,
        "created",
        "resolved",
        "frt_median",
        "frt_business_median",
        "breaches",
        "csat",
    ]
    units = [TEXT, COUNT, COUNT, SECONDS, SECONDS, COUNT, STARS]
    if dimension == "agent":
        columns += ["claimed", "handle_median"]
        units += [COUNT, SECONDS]
    if dimension in ("org", "channel"):
        columns += ["previous", "trend", "at_risk"]
        units += [COUNT, PERCENT, TEXT]
        report.figures.append(Figure("at_risk", "At risk", sum(1 for row in rows if row[-1])))
    report.tables.append(Table(dimension, title, columns, rows, units))
    return report


def summary_report(session: Session, ctx: Ctx) -> Report:
    """The card `/kpi` alone shows: the headline of every metric."""
    report = ctx.report("summary", "Support summary")
    window = {"start": ctx.start, "end": ctx.end}
    created = volume.count_created(session, **window)
    frt = overall(timing.frt(session, **window))
    business = business_frt(session, ctx).get(ALL)
    resolution = overall(timing.resolution(session, **window))
    counts = timing.resolution_counts(session, **window)
    targets = sla.targets(session, **window, now=ctx.now)
    due = sum(found.due for found in targets.values())
    met = sum(found.met_in_time for found in targets.values())
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
        Figure("sla_within", "Within SLA", ratio(met, due), RATIO),
        Figure("breaches", "SLA breaches", sum(found.breached for found in targets.values())),
        Figure("resolution_median", "Resolution (median)", resolution.median, SECONDS),
        Figure("reopen_rate", "Reopen rate", ratio(counts.reopened, counts.resolved), RATIO),
        Figure("csat_average", "CSAT", csat.average, STARS),
        Figure("csat_response_rate", "CSAT response rate", ratio(csat.answered, csat.asked), RATIO),
        Figure("deflection_rate", "Deflection rate", ratio(deflected, created), RATIO),
        Figure(
            "cost_per_ticket",
            "Cost per ticket",
            round(total / created, 2) if created else None,
            MONEY,
        ),
    ]
    return report
