"""Every KPI against hand-computed values on a small dataset (SQLite and PostgreSQL).

How each expected number was worked out is in tests/support/kpi_dataset.py and the comments here.
"""

import math
from pathlib import Path

import pytest

from bot import charts
from bot.config import parse_config
from bot.kpi.chart import CHARTS, chart_data, chart_figure
from bot.kpi.service import KpiError, KpiService
from tests.support import kpi_dataset as data
from tests.support.harness import MutableClock
from tests.support.kpi_dataset import A1, A2, ACME, BETA, GAMMA

RANGE = "2026-11-02..2026-11-06"


@pytest.fixture
def kpi(db) -> KpiService:
    """The service over the dataset, asked on 2026-11-10 12:00 UTC."""
    data.load(db)
    return KpiService(db, parse_config(data.CONFIG), MutableClock(data.NOW))


def ask(kpi: KpiService, metric: str, range_text: str = RANGE, by: str | None = None):
    """A report, as /kpi and `deskbot kpi` would get it."""
    return kpi.report(kpi.query(metric, range_text, by))


def test_volume_counts_created_resolved_backlog_and_messages(kpi):
    report = ask(kpi, "volume")
    # created #1 #3 #4 #5 #6 (#2 is Nov 1 local); resolved #1 #2 #3 #5; open at the end #4 #6
    # in: #1 x2, #3 x3, #4 x2 (the deleted one is not counted), #5, #6; out: #1, #2 x2, #3 x2, #4
    assert report.values() == {
        "created": 5,
        "resolved": 4,
        "backlog": 2,
        "messages_in": 9,
        "messages_out": 6,
    }
    # #5 (23:30 UTC on Nov 2) is Nov 3 in Berlin; #5's resolution too.
    assert report.table("days").rows == [
        ["2026-11-02", 1, 2, 2.0, 2, 3],
        ["2026-11-03", 2, 2, 1.0, 4, 2],
        ["2026-11-04", 0, 0, None, 0, 0],
        ["2026-11-05", 1, 0, 0.0, 2, 0],
        ["2026-11-06", 1, 0, 0.0, 1, 1],
    ]


def test_first_response_time_calendar_and_business_hours(kpi):
    report = ask(kpi, "frt")
    # calendar: 1200 (#3), 1800 (#1), 57600 (#4 answered next morning), 212400 (#6, Monday)
    # business: 1200, 1800, 1800 (#4: Fri 09:00-09:30), 0 (#6 answered at Monday's opening)
    assert report.values() == {
        "frt_count": 4,
        "frt_median": 29700.0,
        "frt_mean": 68250.0,
        "frt_p90": 165960.0,
        "frt_business_median": 1500.0,
        "frt_business_mean": 1200.0,
        "frt_business_p90": 1800.0,
        "unanswered": 0,  # #5 was never answered, but self-served: nobody waits for a reply
    }


def test_sla_breaches_per_day_and_within_target(kpi):
    report = ask(kpi, "sla")
    assert report.values() == {
        "within": 0.6667,  # 8 of 12 targets due met in time
        "first_response_breaches": 2,  # #2 (due 00:30 Nov 2 local), #6
        "next_response_breaches": 0,
        "resolution_breaches": 2,  # #3's second cycle, #4 (unmet, past due)
        "due": 12,
        "running": 0,  # every target of the range came due before Nov 10
        "breaches": 4,
    }
    assert report.table("targets").rows == [
        ["first_response", 6, 4, 2, 0, 0.6667],
        ["next_response", 1, 1, 0, 0, 1.0],
        ["resolution", 5, 3, 2, 0, 0.6],
    ]
    assert report.table("days").rows == [
        ["2026-11-02", 1, 0, 0],
        ["2026-11-03", 0, 0, 1],
        ["2026-11-04", 0, 0, 0],
        ["2026-11-05", 0, 0, 0],
        ["2026-11-06", 1, 0, 1],
    ]


def test_resolution_reopen_and_one_touch(kpi):
    report = ask(kpi, "resolution")
    # resolution times 600 (#5), 7200 (#1), 25200 (#3), 48600 (#2)
    assert report.values() == {
        "resolved": 4,
        "resolution_median": 16200.0,
        "resolution_mean": 20400.0,
        "resolution_p90": 41580.0,
        "resolution_rate": 0.8,
        "reopened": 1,
        "reopen_rate": 0.25,
        "one_touch": 1,  # only #1 was resolved with exactly one agent reply
        "one_touch_rate": 0.3333,  # of the 3 tickets agents resolved (#5 self-served)
        "self_served": 1,
        "reopens": 1,
    }
    # daily resolution rate: resolved that day / created that day (Berlin days)
    assert report.table("days").rows == [
        ["2026-11-02", 1, 2, 2.0],
        ["2026-11-03", 2, 2, 1.0],
        ["2026-11-04", 0, 0, None],
        ["2026-11-05", 1, 0, 0.0],
        ["2026-11-06", 1, 0, 0.0],
    ]


def test_handle_time_excludes_pending_and_resolved_time(kpi):
    # #1 08:20-10:00 = 6000; #2 08:45-12:00 = 11700;
    # #3 09:10-16:00 = 24600 - 7200 pending - 10800 resolved before the reopen = 6600
    # All of it inside Berlin's 09:00-17:00, so business hours count the same.
    assert ask(kpi, "handle").values() == {
        "handle_count": 3,
        "handle_median": 6600.0,
        "handle_mean": 8100.0,
        "handle_p90": 10680.0,
        "handle_business_median": 6600.0,
        "handle_business_mean": 8100.0,
        "handle_business_p90": 10680.0,
    }
    # #6: claimed Mon Nov 9 08:55 in Berlin (before opening), resolved at 11:00:
    # 7500 s of clock time, 7200 s of opening hours (09:00-11:00).
    monday = ask(kpi, "handle", "2026-11-09")
    assert (monday.figure("handle_median"), monday.figure("handle_business_median")) == (
        7500.0,
        7200.0,
    )


def test_types_top_new_and_trend(kpi):
    report = ask(kpi, "types")
    assert report.values() == {"types": 3, "new_types": "api"}
    # previous range [Oct 27 23:00, Nov 1 23:00): billing #2 #7 #8, login #9
    assert report.table("types").rows == [
        ["billing", 2, 3, -33.3, False],
        ["login", 2, 1, 100.0, False],
        ["api", 1, 0, None, True],
    ]


def test_csat(kpi):
    report = ask(kpi, "csat")
    assert report.values() == {
        "asked": 3,
        "answered": 2,
        "response_rate": 0.6667,
        "average": 3.5,
        "happy_rate": 0.5,
        "comments": 2,
    }
    assert report.table("comments").rows == [
        ["#3", 2, "Took two tries"],
        ["#1", 5, "Quick and clear, thanks"],
    ]


def test_cost_per_ticket_prorates_the_month(kpi):
    report = ask(kpi, "cost")
    # 3000 a month, 5 of November's 30 days = 500, over 5 tickets
    # and over the 4 tickets resolved: 125 each
    assert report.values() == {
        "spend": 500.0,
        "tickets": 5,
        "cost_per_ticket": 100.0,
        "resolved": 4,
        "cost_per_resolved": 125.0,
    }
    assert report.table("orgs").rows == [  # never named in Slack: the id stands in
        [ACME, ACME, 2, 200.0], [BETA, BETA, 2, 200.0], [GAMMA, GAMMA, 1, 100.0],
    ]  # fmt: skip


def test_self_service(kpi):
    report = ask(kpi, "selfservice")
    assert report.values() == {
        "tickets": 5,
        "suggested": 3,
        "suggestion_rate": 0.6,
        "deflected": 1,
        "deflection_rate": 0.2,
    }
    assert report.table("articles").rows == [["billing/invoices", 1]]


def test_known_issues_ranked_by_customers(kpi):
    report = ask(kpi, "known")
    # #2 (BUG-101) was created before the range; one customer per organization here
    assert report.table("issues").columns == ["issue", "customers", "organizations", "tickets",
                                              "open"]  # fmt: skip
    assert report.table("issues").rows == [["FR-7", 3, 3, 3, 1], ["BUG-101", 2, 2, 2, 0]]


def test_per_agent(kpi):
    report = ask(kpi, "agents")
    assert report.table("agent").columns == [
        "agent", "agent_id", "created", "resolved", "frt_mean", "frt_business_mean", "breaches",
        "csat", "claimed", "handle_mean",
    ]  # fmt: skip
    # A1 answered #1 (1800 s; 1800 business), #3 (1200; 1200) and #6 (212400; 0) first;
    # handled #1 (6000) and #3 (6600). A2: #4 (57600; 1800), handled #2 (11700).
    # #5 (self-served) was nobody's: the unassigned row, so the rows add up to the team
    assert report.table("agent").rows == [
        [A1, A1, 3, 2, 71800.0, 1000.0, 2, 3.5, 2, 6300.0],
        [A2, A2, 1, 1, 57600.0, 1800.0, 2, None, 2, 11700.0],
        ["Unassigned", "", 1, 1, None, None, 0, None, 0, None],
    ]


def test_per_org_flags_accounts_at_risk(kpi):
    report = ask(kpi, "volume", by="org")
    assert report.table("org").rows == [
        [ACME, ACME, 2, 3, 1800.0, 1800.0, 1, 5.0, 2, 0.0, None],
        [BETA, BETA, 2, 1, 106800.0, 600.0, 2, 2.0, 1, 100.0, "CSAT 2.0; 2 SLA breaches"],
        [GAMMA, GAMMA, 1, 0, 57600.0, 1800.0, 1, None, 1, 0.0, None],
    ]
    assert report.figure("at_risk") == 1
    channels = ask(kpi, "channels").table("channel").rows
    assert [row[0] for row in channels] == ["C0BETA", "C0HELP", "C0GAM"]
    assert channels[0][1:] == [
        "C0BETA", 2, 1, 106800.0, 600.0, 2, 2.0, 1, 100.0, "CSAT 2.0; 2 SLA breaches",
    ]  # fmt: skip


def test_by_type_and_priority(kpi):
    by_type = ask(kpi, "frt", by="type").table("type").rows
    assert [row[:3] for row in by_type] == [["billing", 2, 3], ["login", 2, 1], ["api", 1, 0]]
    by_priority = ask(kpi, "volume", by="priority").table("priority").rows
    assert [row[:2] for row in by_priority] == [
        ["normal", 2],
        ["high", 1],
        ["low", 1],
        ["urgent", 1],
    ]


def test_summary_card(kpi):
    assert ask(kpi, "summary").values() == {
        "created": 5,
        "resolved": 4,
        "backlog": 2,
        "frt_median": 29700.0,
        "frt_business_median": 1500.0,
        "sla_within": 0.6667,
        "breaches": 4,
        "resolution_median": 16200.0,
        "reopen_rate": 0.25,
        "csat_average": 3.5,
        "csat_response_rate": 0.6667,
        "deflection_rate": 0.2,
        "one_touch_rate": 0.3333,
        "cost_per_ticket": 100.0,
        "cost_per_resolved": 125.0,
    }


def test_an_agent_sees_only_their_own_numbers(kpi):
    report = kpi.report(kpi.query("summary", RANGE), agent_id=A2)
    assert report.table("agent").rows == [[A2, A2, 1, 1, 57600.0, 1800.0, 2, None, 2, 11700.0]]


@pytest.mark.parametrize("metric", ["summary", "volume", "frt", "sla", "resolution", "handle",
                                    "types", "csat", "cost", "selfservice", "known", "agents",
                                    "orgs", "channels"])  # fmt: skip
def test_an_empty_range_gives_zeros_and_blanks(kpi, metric):
    report = ask(kpi, metric, "2026-09-01..2026-09-07")
    for key, value in report.values().items():
        if key == "spend":
            assert value == 700.0  # 7 of September's 30 days are still paid for
        else:
            assert value in (0, None, 0.0), (key, value)
    for table in report.tables:
        if table.key not in ("days", "targets"):
            assert table.rows == [], table.key


def test_bad_questions_say_what_is_accepted(kpi):
    with pytest.raises(KpiError, match=r"not a metric.*`volume`"):
        kpi.query("speed", "7d")
    with pytest.raises(KpiError, match=r"group by .*`agent`"):
        kpi.query("volume", "7d", "colour")
    with pytest.raises(KpiError, match="not a range"):
        kpi.query("volume", "fortnight")


def test_frt_chart_gives_each_local_day_its_median_and_p90(kpi):
    # #1 (1800 s) on Nov 2; #3 (1200 s) on Nov 3; #4 (57600 s) on Nov 5; #6 (212400 s) on
    # Nov 6 (21:00 UTC is 22:00 in Berlin); #5 (Nov 3 local) was never answered.
    data = kpi.run(kpi.parse_range(RANGE), lambda session, ctx: chart_data(session, ctx, "frt"))
    assert data.x == ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"]
    seconds = [None if math.isnan(v) else round(v) for v in data.series["median"]]
    assert seconds == [1800, 1200, None, 57600, 212400]
    assert data.series["p90"][0] == pytest.approx(1800)


@pytest.mark.parametrize("metric", CHARTS)
def test_each_chart_over_the_dataset_has_readable_axes(kpi, metric):
    panel = kpi.run(kpi.parse_range(RANGE), lambda session, ctx: chart_data(session, ctx, metric))
    figure = chart_figure(panel)
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / f"kpi-chart-{metric}.png").write_bytes(charts.png(figure))
    (axes,) = figure.axes
    horizontal = metric == "types"
    low, high = axes.get_xlim() if horizontal else axes.get_ylim()
    ticks = axes.get_xticks() if horizontal else axes.get_yticks()
    ticks = [t for t in ticks if low <= t <= high]
    assert low == 0 and ticks
    label = axes.get_xlabel() if horizontal else axes.get_ylabel()
    if metric == "frt":  # up to 212400 s: more than 2 days, so days
        assert label == "first response (days)"
    else:
        assert all(float(t).is_integer() for t in ticks)
