"""The definitions a lead would read differently from the label (issue 20), each played
through the app: known issues by people with merges, the unassigned agent row, one-touch
up to the resolution, cost per ticket resolved."""

from datetime import timedelta

from tests.conftest import AGENT, COLLEAGUE, CUSTOMER2, INTERNAL_HELP
from tests.scenarios.test_kpi_true_meanings import T0, at, numbers, say
from tests.scenarios.test_tickets import ticket_cmd


def test_known_issues_rank_by_people_and_count_merged_tickets(deskbot, clock):
    at(clock, T0 + timedelta(hours=1))
    say(deskbot, T0, "Exports are empty")  # #1 Carla (acme)
    say(deskbot, T0 + timedelta(minutes=5), "CSV exports come out empty", user=CUSTOMER2)
    say(deskbot, T0 + timedelta(minutes=6), "Export gives me an empty file", user=COLLEAGUE,
        channel=INTERNAL_HELP)  # fmt: skip  # #3 Ivan (our own workspace)
    say(deskbot, T0 + timedelta(minutes=7), "Dark mode please")  # #4 Carla
    say(deskbot, T0 + timedelta(minutes=8), "Any news on dark mode?")  # #5 Carla
    for command in ("link #1 BUG-9", "link #3 BUG-9", "merge #1 #2", "link #4 FR-1",
                    "link #5 FR-1"):  # fmt: skip
        ticket_cmd(deskbot, command)
    issues = numbers(deskbot, "known").table("issues")
    # BUG-9: Carla, Dmitri (merged into #1) and Ivan; two organizations; three tickets.
    # FR-1: two tickets, one person. Merged #2 is closed, so not open.
    assert issues.rows == [["BUG-9", 3, 2, 3, 2], ["FR-1", 1, 1, 2, 2]]


def test_a_merged_ticket_that_carries_the_link_itself_counts_once(deskbot, clock):
    at(clock, T0 + timedelta(hours=1))
    say(deskbot, T0, "Exports are empty")  # #1 Carla
    say(deskbot, T0 + timedelta(minutes=5), "CSV exports come out empty", user=CUSTOMER2)
    for command in ("link #1 BUG-9", "link #2 BUG-9", "merge #1 #2"):
        ticket_cmd(deskbot, command)
    # #2 is linked itself and merged into #1: one ticket, not two (nor three in all).
    assert numbers(deskbot, "known").table("issues").rows == [["BUG-9", 2, 1, 2, 1]]


def test_unassigned_tickets_have_a_row_so_agents_add_up_to_the_team(start_deskbot, clock):
    bot = start_deskbot({"sla_policies": [{"name": "std", "first_response": "30m"}]})
    say(bot, T0, "Login loops")
    say(bot, T0 + timedelta(minutes=1), "Password reset mail never arrives")
    at(clock, T0 + timedelta(minutes=2))
    ticket_cmd(bot, "claim #2")
    at(clock, T0 + timedelta(hours=2))  # both first responses are late by now
    rows = numbers(bot, "agents").table("agent").rows
    assert [(row[0], row[1], row[2], row[6]) for row in rows] == [
        ("ana", AGENT, 1, 1),
        ("Unassigned", "", 1, 1),
    ]
    team = numbers(bot, "sla")
    assert sum(row[6] for row in rows) == team.figure("breaches") == 2


def test_one_touch_counts_replies_up_to_the_resolution(deskbot, clock):
    root = say(deskbot, T0, "Where do I change my VAT id?")
    say(deskbot, T0 + timedelta(minutes=10), "Settings > Billing", user=AGENT, thread=root)
    at(clock, T0 + timedelta(minutes=15))
    ticket_cmd(deskbot, "resolve #1")
    say(deskbot, T0 + timedelta(minutes=20), "thanks!", thread=root)
    say(deskbot, T0 + timedelta(minutes=21), "You're welcome", user=AGENT, thread=root)
    at(clock, T0 + timedelta(minutes=30))
    resolution = numbers(deskbot, "resolution")
    assert (resolution.figure("one_touch"), resolution.figure("one_touch_rate")) == (1, 1.0)
    cost = numbers(deskbot, "cost")  # no spend configured: zero per ticket, both ways
    assert (cost.figure("cost_per_ticket"), cost.figure("cost_per_resolved")) == (0.0, 0.0)
