"""`/kpi` over signed HTTP: leads get team numbers, agents their own; charts and CSV to DMs."""

import csv
import io
from datetime import timedelta

import pytest

from bot.clock import datetime_to_ts
from bot.kpi.export import export_columns
from handlers.kpi.listeners import AGENT_NOTE, LEADS_ONLY, NOT_STAFF
from tests.conftest import ACME, AGENT, AGENT2, CUSTOMER, HELP, LEAD, TRIAGE
from tests.scenarios.test_tickets import answer_text
from tests.support import kpi_dataset as data
from tests.support.harness import RunningBot

RANGE = "2026-11-02..2026-11-06"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def bot(start_deskbot, db, clock, fake) -> RunningBot:
    """deskbot over the KPI dataset, on 2026-11-10 12:00 UTC."""
    data.load(db)
    clock.now = data.NOW
    return respondable(start_deskbot(data.CONFIG), fake)


def respondable(bot: RunningBot, fake) -> RunningBot:
    """Point the driver's response_url values at the fake, which records what is sent."""
    bot.driver.response_url_base = fake.response_url_base
    return bot


def kpi(bot: RunningBot, fake, text: str, user: str = LEAD) -> tuple[str, list[dict]]:
    """Run `/kpi text`; (immediate ephemeral answer, bodies sent to the response_url)."""
    before = len(fake.responded)
    response = bot.driver.command("/kpi", text, user=user, channel=TRIAGE)
    bot.drain()
    assert response.status == 200
    ack = (
        response.body
        if "json" not in response.headers.get("content-type", "")
        else (response.json().get("text", ""))
    )
    return ack, [item["body"] for item in fake.responded[before:]]


def test_lead_gets_team_sla_numbers(bot, fake):
    ack, bodies = kpi(bot, fake, f"sla {RANGE}")
    assert ack == ""
    (body,) = bodies
    assert body["response_type"] == "ephemeral"
    text = str(body["blocks"])
    assert "SLA · 2026-11-02..2026-11-06" in text
    assert "*Within target*\\n66.7%" in text
    assert "*Breaches*\\n4" in text


def test_kpi_alone_is_the_summary_card_for_30_days(bot, fake):
    _, (body,) = kpi(bot, fake, "")
    text = str(body["blocks"])
    assert "Support summary · last 30 days" in text
    assert "*Tickets created*\\n9" in text  # Oct 12..Nov 10 in Berlin: the whole dataset


def test_breakdown_by_agent_mentions_agents(bot, fake):
    _, (body,) = kpi(bot, fake, f"frt {RANGE} by agent")
    text = str(body["blocks"])
    assert f"<@{AGENT}> — created 3 · resolved 2 · frt mean 19h 56m" in text
    assert f"<@{AGENT2}> — created 1 · resolved 1 · frt mean 16h" in text


def test_an_agent_sees_only_their_own_numbers(bot, fake):
    _, (body,) = kpi(bot, fake, f"summary {RANGE}", user=AGENT2)
    text = str(body["blocks"])
    assert AGENT_NOTE in text
    assert f"<@{AGENT2}>" in text and f"<@{AGENT}>" not in text


def test_customers_get_no_numbers(bot, fake):
    ack, bodies = kpi(bot, fake, "", user=CUSTOMER)
    assert ack == NOT_STAFF and bodies == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("speed 7d", "`speed` is neither a metric nor a range"),
        ("volume fortnight", "`fortnight` is not a range"),
        ("volume 7d by colour", "`by colour`: group by `agent`"),
        ("volume by agent 7d", "Put `by` last"),
        ("chart pie 7d", "Chart one of `volume`"),
        ("2026-13-01..2026-13-05", "is not a date"),
    ],
)
def test_bad_input_lists_what_is_accepted(bot, fake, text, expected):
    ack, bodies = kpi(bot, fake, text)
    assert expected in ack
    assert "Metrics: `summary`" in ack and "Ranges:" in ack and "By: `agent`" in ack
    assert bodies == [] and fake.files == []


def test_help(bot, fake):
    ack, _ = kpi(bot, fake, "help")
    assert "/kpi chart volume 30d" in ack


@pytest.mark.parametrize("metric", ["volume", "frt", "sla", "types", "csat"])
def test_chart_is_a_png_uploaded_to_the_asker(bot, fake, metric):
    _, (body,) = kpi(bot, fake, f"chart {metric} {RANGE}")
    assert "chart is in your DMs" in body["text"]
    (shared,) = fake.files
    assert shared.content is not None and shared.content.startswith(PNG)
    assert shared.channel == "D" + LEAD[1:]  # the lead's DM with the bot, nowhere else
    assert shared.filename == f"kpi-{metric}-2026-11-02-2026-11-06.png"
    methods = [call.method for call in fake.calls if call.method.startswith("files.")]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_charts_and_exports_are_for_leads(bot, fake):
    ack, bodies = kpi(bot, fake, "chart volume 30d", user=AGENT)
    assert ack == LEADS_ONLY and bodies == [] and fake.files == []


def test_export_is_a_csv_of_tickets_with_metric_inputs(bot, fake):
    _, (body,) = kpi(bot, fake, f"export {RANGE}")
    assert "CSV export" in body["text"]
    (shared,) = fake.files
    rows = list(csv.DictReader(io.StringIO(shared.content.decode("utf-8"))))
    assert list(rows[0]) == export_columns()
    assert list(rows[0])[:7] == ["number", "created_at", "subject", "channel", "channel_id",
                                 "org", "org_id"]  # fmt: skip
    assert rows[0]["subject"] and rows[0]["org_id"] == data.ACME
    assert [row["number"] for row in rows] == ["1", "5", "3", "4", "6"]
    third = rows[2]
    assert third["frt_seconds"] == "1200" and third["resolution_seconds"] == "25200"
    assert (third["reopen_count"], third["agent_messages"], third["customer_messages"]) == (
        "1", "2", "3",
    )  # fmt: skip
    assert (third["types"], third["links"], third["sla_breaches"]) == ("login", "BUG-101", "1")
    assert (third["csat_rating"], third["csat_comment"]) == ("2", "Took two tries")
    assert rows[1]["suggestion"] == "solved" and rows[1]["solved_by_article"] == "billing/invoices"


def test_bot_replies_and_customer_follow_ups_do_not_count_as_a_response(start_deskbot, fake, clock):
    bot = respondable(start_deskbot(), fake)
    asked = clock.now - timedelta(hours=1)
    root = bot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="Export is broken",
                              ts=datetime_to_ts(asked))  # fmt: skip
    bot.drain()
    for offset, user, extra in [
        (60, "UOTHERBOT", {"bot_id": "B0OTHER"}),
        (120, CUSTOMER, {"team": ACME}),
        (600, AGENT, {}),
    ]:
        ts = datetime_to_ts(asked + timedelta(seconds=offset))
        bot.driver.message(channel=HELP, user=user, text="...", thread_ts=root.ts, ts=ts, **extra)
        bot.drain()
    _, (body,) = kpi(bot, fake, "frt today")
    assert "*Calendar: median*\\n10m" in str(body["blocks"])
    _, (body,) = kpi(bot, fake, "volume today")
    text = str(body["blocks"])
    assert "*Messages in (customers)*\\n2" in text and "*Messages out (agents)*\\n1" in text


def open_home(bot: RunningBot, fake, user: str) -> str:
    """Open the App Home tab as `user`; the published view's blocks as text."""
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home",
             "event_ts": bot.driver.next_ts()}  # fmt: skip
    bot.driver.event(event)
    bot.drain()
    view = fake.home_view(user)
    assert view is not None and len(view["blocks"]) <= 100
    return str(view["blocks"])


def test_lead_home_has_the_summary_card_and_breaching_tickets(bot, fake):
    text = open_home(bot, fake, LEAD)
    assert "Support · last 7 days" in text
    assert "*Tickets created*\\n2" in text  # Nov 4..10 in Berlin: #4 and #6
    assert "*Breaching now* (1)" in text
    assert "*#4* question 4" in text and "resolution overdue by 4d" in text
    assert "Mine (0)" in text  # the lead's own queue still follows


def test_agent_home_has_no_team_numbers(bot, fake):
    text = open_home(bot, fake, AGENT)
    assert "Breaching now" not in text and "Tickets created" not in text
    assert "Mine (" in text


def test_the_guard_never_uploads_team_numbers_where_customers_read(bot, fake):
    from handlers.slack.guard import Audience

    guard = bot.app.runtime.deps.guard
    for target in (HELP, CUSTOMER):  # a Slack Connect channel; a customer's DM
        sent = guard.upload(audience=Audience.INTERNAL, channel=target, content="x", filename="x")
        assert sent is None
    assert fake.files == []
    assert guard.upload(audience=Audience.INTERNAL, channel=LEAD, content="x", filename="x")
    assert [f.channel for f in fake.files] == ["D" + LEAD[1:]]


@pytest.mark.parametrize("metric", ["volume", "sla", "frt"])
def test_long_range_charts_are_drawn_as_lines(bot, fake, metric):
    _, (answer,) = kpi(bot, fake, f"chart {metric} 90d")
    assert "chart is in your DMs" in answer["text"]
    (shared,) = fake.files
    assert shared.content.startswith(PNG) and shared.filename == f"kpi-{metric}-last-90-days.png"


def test_kb_search_without_a_question_says_what_it_needs(deskbot):
    response = deskbot.driver.command("/kb", "search", user=AGENT, channel=TRIAGE)
    deskbot.drain()
    text = answer_text(response)
    assert text.startswith("`/kb search` needs a question, like `/kb search reset my password`.")
    assert "Unknown" not in text
