"""Commands work as people type them: plain `@name`s, escaped text, mentions."""

from sqlmodel import select

from store.models import Activity, Ticket
from tests.conftest import AGENT2, HOME
from tests.scenarios.test_tickets import open_ticket, ticket_cmd
from tests.support.harness import RunningBot


def assignee(bot: RunningBot, number: int = 1) -> str | None:
    with bot.session() as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
        return ticket.assignee_id


def test_assign_to_a_plain_name_finds_the_person(deskbot):
    open_ticket(deskbot)
    answer = ticket_cmd(deskbot, "assign #1 @ben")
    assert "is not a person" not in answer
    assert assignee(deskbot) == AGENT2


def test_assign_to_a_name_without_the_at_and_in_any_case(deskbot):
    open_ticket(deskbot)
    ticket_cmd(deskbot, "assign #1 Ben")
    assert assignee(deskbot) == AGENT2


def test_assign_to_a_mention_still_works(deskbot):
    open_ticket(deskbot)
    ticket_cmd(deskbot, f"assign #1 <@{AGENT2}|ben>")
    assert assignee(deskbot) == AGENT2


def test_a_name_that_matches_nobody_says_so(deskbot):
    open_ticket(deskbot)
    answer = ticket_cmd(deskbot, "assign #1 @nobody")
    assert answer == "Nobody here is called `@nobody`: mention them, like `@ana`."
    assert assignee(deskbot) is None


def test_an_ambiguous_name_lists_who_it_could_be(deskbot, fake):
    fake.add_user("UBEN2", "ben.k", team_id=HOME, real_name="Ben")
    fake.add_user("UBEN3", "benny", team_id=HOME, real_name="Ben")
    open_ticket(deskbot)
    answer = ticket_cmd(deskbot, "assign #1 @ben")
    assert answer.startswith("`@ben` could be")
    assert f"<@{AGENT2}>" in answer and "<@UBEN2>" in answer
    assert assignee(deskbot) is None


def test_a_name_of_someone_who_is_not_an_agent_is_refused(deskbot):
    open_ticket(deskbot)
    answer = ticket_cmd(deskbot, "assign #1 @carla")
    assert answer.endswith("is not an agent, so cannot hold tickets.")


def test_escaped_command_text_is_stored_as_typed(deskbot):
    # With should_escape on, Slack sends `&`, `<`, `>` as entities.
    open_ticket(deskbot)
    ticket_cmd(deskbot, "note #1 P&amp;L is off when x &gt; 5")
    with deskbot.session() as session:
        notes = session.exec(select(Activity).where(Activity.action == "note")).all()
    assert [note.detail["text"] for note in notes] == ["P&L is off when x > 5"]
