"""The dashboard's pages over real HTTP, signed in through the fake's OpenID flow, on the
KPI dataset: the same numbers as `/kpi` and `deskbot kpi`, every chart point and number
drilling down to the tickets behind it, filters, sort, pages, CSV, the ticket page."""

import csv
import html
import io
import json
import re
from datetime import timedelta

import pytest
import yaml
from sqlmodel import select

from bot.cli.main import main
from bot.dashboard import tickets as ticket_views
from bot.kpi.report import format_value
from store.db import session_scope
from store.models import Activity, Ticket
from tests.conftest import AGENT, LEAD
from tests.scenarios.test_kpi_slack import kpi, respondable
from tests.support import kpi_dataset as data
from tests.support.visitor import RANGE, Visitor, load_named_dataset


@pytest.fixture
def bot(start_deskbot, db, clock, fake):
    load_named_dataset(db)
    clock.now = data.NOW
    return respondable(start_deskbot(data.CONFIG), fake)


@pytest.fixture
def lead(bot) -> Visitor:
    visitor = Visitor(bot.server.url)
    assert visitor.sign_in(LEAD).status == 302
    return visitor


def figures(page: str) -> dict[str, str]:
    """The overview's summary figures as shown: key -> text."""
    found = re.findall(
        r'data-key="(\w+)">.*?<span class="value">(.*?)</span>', page, flags=re.DOTALL
    )
    return {key: html.unescape(value.strip()) for key, value in found}


def total(page: str) -> int:
    """How many tickets the list says it found."""
    return int(re.search(r'<span class="muted">(\d+) found</span>', page).group(1))


def numbers_listed(page: str) -> list[int]:
    """The ticket numbers in the list, in order."""
    return [int(n) for n in re.findall(r'<td><a href="/tickets/\d+">#(\d+)</a></td>', page)]


def test_dashboard_kpi_and_cli_agree_on_the_same_range(
    bot, lead, fake, capsys, tmp_path, monkeypatch
):
    shown = figures(lead.get(f"/?range={RANGE}").text)
    assert shown["created"] == "5" and shown["sla_within"] == "66.7%"
    # `deskbot kpi summary` over the same days, as JSON, formatted as people read it.
    config = tmp_path / "deskbot.yaml"
    config.write_text(yaml.safe_dump(data.CONFIG), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", bot.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DESKBOT_CONFIG", str(config))
    capsys.readouterr()
    code = main(["--log-level", "WARNING", "kpi", "summary", "--since", "2026-11-02",
                 "--until", "2026-11-06", "--format", "json"])  # fmt: skip
    assert code == 0
    cli = json.loads(capsys.readouterr().out)["figures"]
    # `/kpi summary` in Slack.
    _, (body,) = kpi(bot, fake, f"summary {RANGE}")
    card = str(body["blocks"])
    report = bot.app.runtime.deps.kpi.report(bot.app.runtime.deps.kpi.query("summary", RANGE))
    assert set(shown) == set(cli) == {figure.key for figure in report.figures}
    for figure in report.figures:
        text = format_value(cli[figure.key], figure.unit, report.currency)
        assert shown[figure.key] == text, figure.key
        assert f"*{figure.label}*\\n{text}" in card, figure.key


def test_every_chart_point_drills_down_to_its_tickets(lead):
    page = lead.get(f"/?range={RANGE}").text
    points = re.findall(r'<a href="([^"]+)" aria-label="([^"]+)">', page)
    counted = 0
    for href, label in points:
        label = html.unescape(label)
        listed = lead.get(html.unescape(href))
        assert listed.status == 200, href
        number = re.search(r": (\d+) (created|resolved|answers|breached)$", label)
        if number:
            assert total(listed.text) == int(number.group(1)), (label, href)
            counted += 1
        elif "met in time" in label or "first response" in label:
            assert total(listed.text) > 0 or " 0 of" in label, (label, href)
    assert counted >= 12  # five days of created and resolved, five star ratings, breaches


def test_summary_figures_drill_down(lead):
    page = lead.get(f"/?range={RANGE}").text
    links = dict(re.findall(r'data-key="(\w+)">\s*<a href="([^"]+)">', page))
    created = lead.get(html.unescape(links["created"])).text
    assert total(created) == 5
    resolved = lead.get(html.unescape(links["resolved"])).text
    assert total(resolved) == int(figures(page)["resolved"])
    breaches = lead.get(html.unescape(links["breaches"])).text
    assert sorted(numbers_listed(breaches)) == [2, 3, 4, 6]  # 4 breaches, one per ticket


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [6, 4, 3, 5, 1]),
        ("&status=live", [4]),
        ("&status=resolved&status=closed", [6, 3, 5, 1]),
        ("&org=T0BETA", [6, 3]),
        ("&agent=UAGENT2", [4]),
        ("&tag=login", [6, 3]),
        ("&priority=urgent", [3]),
        ("&channel=C0HELP", [5, 1]),
        ("&breaching=1", [4]),
        ("&on=resolved", [3, 5, 1, 2]),
        ("&on=due&sla=breached", [6, 4, 3, 2]),
        ("&on=due&sla=breached&target=resolution", [4, 3]),
        ("&on=asked&stars=5", [1]),
        ("&on=asked", [3, 1]),
        ("&link=BUG-101", [3, 1]),
        ("&numbers=1,%233,99", [3, 1]),
        ("&sort=number", [1, 3, 4, 5, 6]),
        ("&sort=-frt", [6, 4, 1, 3, 5]),
    ],
)
def test_ticket_list_filters_and_sorts(lead, query, expected):
    page = lead.get(f"/tickets?range={RANGE}{query}").text
    assert numbers_listed(page) == expected
    assert total(page) == len(expected)


def test_the_list_shows_names_not_ids(lead):
    page = lead.get(f"/tickets?range={RANGE}&org=T0BETA").text
    assert "Beta GmbH" in page and "Ana Agent" in page
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert not any(cell.strip().startswith(("T0", "U0", "UAGENT")) for cell in cells)


def test_pages_of_the_list(lead, monkeypatch):
    monkeypatch.setattr(ticket_views, "PAGE_SIZE", 2)
    first = lead.get(f"/tickets?range={RANGE}&sort=number").text
    assert numbers_listed(first) == [1, 3] and "Page 1 of 3" in first
    following = re.search(r'<a href="([^"]+)" rel="next">', first).group(1)
    second = lead.get(html.unescape(following)).text
    assert numbers_listed(second) == [4, 5] and "Page 2 of 3" in second


def test_csv_export_is_the_filtered_list(lead):
    answer = lead.get(f"/tickets.csv?range={RANGE}&org=T0BETA&sort=number")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert 'filename="tickets-2026-11-02-2026-11-06.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["number"] for row in rows] == ["3", "6"]
    assert rows[0]["organization"] == "Beta GmbH" and rows[0]["organization_id"] == "T0BETA"
    assert rows[0]["assignee"] == "Ana Agent" and rows[0]["first_response_seconds"] == "1200"
    assert rows[0]["created_at"] == "2026-11-03T09:00:00+00:00"


def test_csv_neutralises_formulas_typed_by_customers(bot, lead):
    with session_scope(bot.engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == 3)).one()
        ticket.subject = '=HYPERLINK("http://evil","x")'
    rows = list(csv.reader(io.StringIO(lead.get("/tickets.csv?range=all&numbers=3").text)))
    assert rows[1][1] == '\'=HYPERLINK("http://evil","x")'


def test_ticket_page(bot, lead):
    with session_scope(bot.engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == 3)).one()
        ticket.permalink = "https://home.slack.com/archives/C0BETA/p1"
        session.add(
            Activity(
                ticket_id=ticket.id,
                actor_id="UAGENT1",
                action="note",
                detail={"text": 'Customer <b>bold</b> & "quoted" — 日本語'},
                at=data.at(11, 3, 14),
            )
        )
    page = lead.get("/tickets/3").text
    assert "question 3" in page and "Beta GmbH" in page and "help-beta" in page
    assert "Ana Agent" in page and "Bea Customer" in page  # names, not UAGENT1 or UCUSTB
    assert "Customer &lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34; — 日本語" in page
    assert 'href="https://home.slack.com/archives/C0BETA/p1"' in page  # open in Slack
    states = re.findall(r'<span class="state (\w+)">', page)
    assert sorted(states) == ["breached", "met", "met", "met"]
    assert "★★☆☆☆" in page and "Took two tries" in page
    assert 'href="/tickets?range=all&amp;link=BUG-101"' in page
    assert page.count('class="message ') == 5  # the root and four replies, as stored
    assert "2026-11-03 10:00" in page  # created 09:00 UTC, shown in Berlin time


def test_an_agent_sees_their_own_numbers_and_the_queues(bot):
    agent = Visitor(bot.server.url)
    agent.sign_in(AGENT)
    page = agent.get(f"/?range={RANGE}").text
    assert "Only leads see team-wide numbers" in page
    assert "data-key" not in page  # no team summary
    queues = dict(re.findall(r'<span class="label">([^<]+)</span><span class="value">(\d+)', page))
    assert queues["Your live tickets"] == "0" and queues["Past an SLA target"] == "1"
    assert queues["Tickets assigned (created in range)"] == "3"  # #1, #3 and #6 are Ana's


def test_sla_page_by_day_agent_and_organization(lead):
    page = html.unescape(lead.get(f"/sla?range={RANGE}").text)
    assert "66.7%" in page
    by_agent = page[page.index("By agent") : page.index("By organization")]
    assert "Ana Agent" in by_agent and "Ben Agent" in by_agent
    by_org = page[page.index("By organization") :]
    assert "Beta GmbH" in by_org and "Acme Corp" in by_org and ">T0BETA<" not in by_org
    rows = re.findall(r"<tr><td>(2026-11-0\d)</td>", page)
    assert rows == ["2026-11-02", "2026-11-03", "2026-11-06"]
    # The days add up to the SLA report's figures (the same KPI query over each day).
    due = [int(n) for n in re.findall(r"on=due\">(\d+)</a></td>\s*<td><a[^>]+sla=met", page)]
    late = re.findall(r"sla=breached\">(\d+)</a></td>\s*<td>[\d.]+%</td></tr>", page)
    figure = dict(
        re.findall(r'<span class="label">([^<]+)</span><span class="value">([^<]+)', page)
    )
    assert sum(due[:3]) == int(figure["Targets due"]) == 12
    assert sum(int(n) for n in late[:3]) == int(figure["Breaches"]) == 4


def test_known_issues_drill_to_their_tickets(lead):
    page = lead.get(f"/known?range={RANGE}").text
    # #2 links it too, but was created before the range (22:30 UTC is 23:30 in Berlin).
    link = re.search(r'<a href="([^"]+link=BUG-101[^"]*)">2</a>', page).group(1)
    assert numbers_listed(lead.get(html.unescape(link)).text) == [3, 1]


def test_kb_gaps_group_unanswered_questions(lead):
    page = lead.get(f"/kb-gaps?range={RANGE}").text
    assert "question 1" in page or "question 3" in page
    link = re.search(r'<a href="([^"]+numbers=[^"]+)">', page).group(1)
    assert total(lead.get(html.unescape(link)).text) >= 1


def test_long_ranges_count_sla_per_week(lead, clock):
    clock.now = data.NOW + timedelta(days=0)
    page = lead.get("/sla?range=90d").text
    assert "Per week" in page


def test_sla_by_agent_adds_up_to_the_team_with_an_unassigned_row(lead):
    page = lead.get(f"/sla?range={RANGE}").text
    by_agent = page[page.index("By agent") : page.index("By organization")]
    rows = re.findall(r"<tr><td>([^<]+)</td>\s*<td><a href=\"([^\"]+)\">(\d+)</a>", by_agent)
    figure = dict(
        re.findall(r'<span class="label">([^<]+)</span><span class="value">([^<]+)', page)
    )
    assert sum(int(due) for _, _, due in rows) == int(figure["Targets due"])
    unassigned = [(link, due) for name, link, due in rows if name == "Unassigned"]
    assert unassigned == [(unassigned[0][0], "1")] and "agent=none" in unassigned[0][0]
    # #5 is the one ticket nobody held; the row drills down to it, not to every ticket.
    assert numbers_listed(lead.get(html.unescape(unassigned[0][0])).text) == [5]
    assert numbers_listed(lead.get(f"/tickets?range={RANGE}&agent=none").text) == [5]


def test_the_agent_filter_offers_unassigned_once(lead):
    page = lead.get(f"/tickets?range={RANGE}&agent=none").text
    assert page.count('<option value="none" selected>Unassigned</option>') == 1
    assert page.count('value="none"') == 1


def test_kb_gaps_say_how_many_as_people_read_numbers(lead, monkeypatch):
    from bot import suggestions as service

    page = html.unescape(lead.get(f"/kb-gaps?range={RANGE}").text)
    assert "2 questions." in page  # the range's two unanswered questions, all grouped
    monkeypatch.setattr(service, "MAX_GAP_QUESTIONS", 1)
    page = html.unescape(lead.get(f"/kb-gaps?range={RANGE}").text)
    assert "2 questions, the newest 1 grouped." in page
    monkeypatch.setattr(service, "GAP_COUNT_CAP", 1)  # more questions than it counts
    page = html.unescape(lead.get(f"/kb-gaps?range={RANGE}").text)
    assert "1+ questions, the newest 1 grouped." in page
