"""store.routing: who is away, until when, and coming back."""

from datetime import timedelta

from sqlmodel import Session

from store import routing
from tests.store.conftest import NOW, WORKSPACE


def test_an_agent_is_away_until_the_moment_given_or_until_back(session: Session) -> None:
    hour = timedelta(hours=1)
    routing.set_away(session, workspace_id=WORKSPACE, agent_id="UANA", since=NOW, until=NOW + hour)
    routing.set_away(session, workspace_id=WORKSPACE, agent_id="UBEN", since=NOW, until=None)
    routing.set_away(session, workspace_id="T0OTHER", agent_id="UCHO", since=NOW, until=None)
    session.commit()

    assert routing.away_agents(session, workspace_id=WORKSPACE, now=NOW) == {
        "UANA": NOW + hour,
        "UBEN": None,
    }
    assert routing.away_agents(session, workspace_id=WORKSPACE, now=NOW + hour) == {"UBEN": None}

    # Going away again moves the return; coming back ends it.
    later = NOW + 3 * hour
    routing.set_away(session, workspace_id=WORKSPACE, agent_id="UANA", since=NOW, until=later)
    row = routing.clear_away(session, workspace_id=WORKSPACE, agent_id="UBEN")
    session.commit()
    assert row is not None and row.until is None
    assert routing.away_agents(session, workspace_id=WORKSPACE, now=NOW + hour) == {"UANA": later}
    assert routing.clear_away(session, workspace_id=WORKSPACE, agent_id="UBEN") is None
