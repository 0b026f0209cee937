"""Pure parts of the dashboard: SVG charts (links, titles, escaping, axes), the list's
query-string reader, the previous-range comparison, and who gets which role."""

from datetime import UTC, datetime

import pytest
from werkzeug.datastructures import MultiDict

from bot.config import parse_config
from bot.dashboard.auth import AGENT, LEAD, role_of, safe_next
from bot.dashboard.filters import BadQuery, read_list_query
from bot.dashboard.numbers import compare
from bot.dashboard.svg import Chart, Point, Series, nice_max, render
from bot.kpi.report import RATIO, SECONDS, Figure, Report
from bot.kpi.service import KpiService
from bot.people import Directory, Identity


def test_every_bar_is_a_link_with_a_title():
    chart = Chart(
        "Tickets",
        ["2026-11-02", "2026-11-03"],
        [Series("created", [Point(2, "2 created", "/tickets?range=2026-11-02"), Point(0, "0")])],
    )
    svg = str(render(chart))
    assert svg.count("<a ") == 1  # an empty bar without a link draws nothing
    assert 'href="/tickets?range=2026-11-02"' in svg
    assert "<title>2026-11-02 · created: 2 created</title>" in svg
    assert ">11-02<" in svg  # short day labels


def test_text_in_a_chart_is_escaped():
    chart = Chart("<b>", ["<script>"], [Series("a&b", [Point(1, '"x"', "/t?a=1&b=2")])])
    svg = str(render(chart))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'href="/t?a=1&amp;b=2"' in svg


def test_axes_are_round():
    assert nice_max(3, whole=True) == 4 and nice_max(9, whole=True) == 12
    assert nice_max(0.7) == 0.8 and nice_max(2.5) == 4 and nice_max(0) == 1


def test_lines_skip_days_without_a_value():
    chart = Chart("frt", ["a", "b", "c"], [Series("median", [Point(1, "1m", "/x"),
                  Point(None, "none"), Point(2, "2m", "/y")])], kind="line")  # fmt: skip
    svg = str(render(chart))
    assert svg.count("<circle") == 2


@pytest.fixture
def service():
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    return KpiService(None, parse_config({}), lambda: now)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("status=bogus", "status='bogus'"),
        ("sort=-nope", "sort='-nope'"),
        ("page=0", "page='0'"),
        ("page=x", "page='x'"),
        ("on=later", "on='later'"),
        ("target=lunch", "target='lunch'"),
        ("numbers=1;2", "numbers"),
        ("range=tomorrow", "is not a range"),
    ],
)
def test_bad_list_queries_say_what_is_wrong(service, query, says):
    with pytest.raises(BadQuery, match=says.replace("(", r"\(")):
        read_list_query(service, MultiDict([tuple(query.split("=", 1))]))


def test_a_list_query(service):
    query = read_list_query(
        service,
        MultiDict(
            [
                ("range", "7d"),
                ("status", "live"),
                ("status", "resolved"),
                ("numbers", "#3, 4"),
                ("sort", "-frt"),
                ("page", "2"),
            ]
        ),
    )
    assert query.filter.statuses == ("new", "open", "pending", "resolved")
    assert query.filter.numbers == (3, 4)
    assert query.sort == "-frt" and query.page == 2
    assert query.range is not None and query.range.label == "last 7 days"
    assert read_list_query(service, MultiDict([("range", "all")])).range is None


@pytest.mark.parametrize(
    ("args", "short"),
    [
        ([("range", "30d")], True),
        ([("range", "365d")], False),
        ([("range", "all")], False),
        ([("range", "all"), ("breaching", "1")], True),
    ],
)
def test_short_lists_are_read_by_key(service, args, short):
    """A short range's tickets (or those past an SLA target now) are few: probed by key."""
    assert read_list_query(service, MultiDict(args)).short is short


def test_trends_say_whether_a_change_is_good_news():
    def report(created: int, frt: float, within: float | None) -> Report:
        start = datetime(2026, 11, 1, tzinfo=UTC)
        return Report("summary", "s", "r", start, start, figures=[
            Figure("created", "Created", created), Figure("frt_median", "FRT", frt, SECONDS),
            Figure("sla_within", "Within", within, RATIO)])  # fmt: skip

    kpis = {k.figure.key: k for k in compare(report(12, 600.0, None), report(10, 300.0, 0.5))}
    assert kpis["created"].change == 20.0 and kpis["created"].good is None
    assert kpis["frt_median"].change == 100.0 and kpis["frt_median"].good is False
    assert kpis["sla_within"].change is None and kpis["sla_within"].previous == 0.5


def test_roles():
    desk = parse_config({"agents": ["UAA"], "leads": ["ULL"], "agents_usergroup": "S11"})
    people = Directory(
        desk,
        Identity("T0HOME", "UBOT"),
        clock=lambda: datetime(2026, 11, 10, tzinfo=UTC),
        fetch_user_team=lambda user: "T0HOME",
        fetch_group_members=lambda group: ["UGG"],
    )
    assert role_of(people, desk, user_id="ULL", team_id="T0HOME") == LEAD
    assert role_of(people, desk, user_id="UAA", team_id="T0HOME") == AGENT
    assert role_of(people, desk, user_id="UGG", team_id="T0HOME") == AGENT
    assert role_of(people, desk, user_id="UXX", team_id="T0HOME") is None
    assert role_of(people, desk, user_id="ULL", team_id="T0OTHER") is None  # a lead's id, elsewhere


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/tickets?a=1", "/tickets?a=1"),
        ("//evil.example", "/"),
        ("https://evil", "/"),
        ("/\\evil", "/"),
        (None, "/"),
    ],
)
def test_sign_in_only_returns_to_this_site(asked, goes):
    assert safe_next(asked) == goes
