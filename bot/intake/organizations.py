"""Correcting tickets recorded under an unknown organization.

When Slack cannot tell which organization a message's author belongs to, intake keeps the
message anyway, as a customer's of `UNKNOWN_TEAM` (external, so nothing internal is
shown to them and they are nobody's agent). This job asks again later and moves those
tickets, and their customer's messages, to the real team once Slack answers; each moved
ticket gets an activity entry and a `TicketChanged`, so its triage card shows it.
"""

from sqlalchemy.engine import Engine

from bot.clock import Clock
from bot.events import Dispatcher, TicketChanged
from bot.people import UNKNOWN_TEAM, Directory
from store import events, tickets
from store.db import session_scope

BATCH = 50  # customers asked about per run: bounded Slack calls, the rest wait a beat
ACTION = "organization_known"


def correct_unknown_teams(
    engine: Engine,
    people: Directory,
    *,
    clock: Clock,
    dispatcher: Dispatcher,
    limit: int = BATCH,
) -> int:
    """Move tickets of customers Slack can now place to their real team; how many moved."""
    workspace = people.identity.workspace_id
    with session_scope(engine) as session:
        customers = tickets.customers_in_team(
            session, workspace_id=workspace, team_id=UNKNOWN_TEAM, limit=limit
        )
    moved = 0
    for customer in customers:
        team = people.team_of(customer)
        if team is None:
            continue  # still unknown: asked again at the next run
        with session_scope(engine) as session:
            ids = tickets.move_customer_team(
                session,
                workspace_id=workspace,
                customer_id=customer,
                from_team=UNKNOWN_TEAM,
                to_team=team,
            )
            for ticket_id in ids:
                events.add_activity(
                    session, ticket_id=ticket_id, action=ACTION, at=clock(), detail={"team": team}
                )
            changed = [tickets.get_ticket(session, ticket_id=ticket_id) for ticket_id in ids]
        moved += len(ids)
        for ticket in changed:  # after the commit, as every service tells its changes
            if ticket is not None:
                dispatcher.emit(TicketChanged(ticket, ACTION, None, detail={"team": team}))
    return moved
