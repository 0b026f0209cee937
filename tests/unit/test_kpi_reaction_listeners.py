"""`/kpi` and reactions, their listeners called with stub ports and a fake ack."""

from types import SimpleNamespace
from typing import Any

from bot.kpi import names
from bot.kpi.service import KpiError
from handlers import reactions
from handlers.kpi import listeners as kpi
from tests.unit.stubs import AGENT, CHANNEL, LEAD, OUTSIDER, FakeAck, stub_deps


class StubKpi:
    """Answers every query with a one-figure report; records who asked for what."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []

    def query(self, metric: str, range_text: str, by: str | None) -> Any:
        if by is not None and by not in names.DIMENSIONS:
            raise KpiError(f"`by {by}`: group by {names.BY_HELP}.")
        return SimpleNamespace(metric=metric, range=range_text, by=by)

    def report(self, query: Any, agent_id: str | None = None) -> Any:
        self.reports.append({"metric": query.metric, "agent_id": agent_id})
        return SimpleNamespace(title="Volume", figures=[], tables=[], notes=[])


def kpi_deps() -> Any:
    deps = stub_deps()
    deps.kpi = StubKpi()
    return deps


def responses() -> tuple[list[dict[str, Any]], Any]:
    sent: list[dict[str, Any]] = []
    return sent, lambda **kwargs: sent.append(kwargs)


def test_a_lead_gets_team_wide_numbers(monkeypatch):
    monkeypatch.setattr(kpi, "report_blocks", lambda report: [{"type": "header"}])
    monkeypatch.setattr(kpi, "report_text", lambda report: report.title)
    deps, ack = kpi_deps(), FakeAck()
    sent, respond = responses()
    kpi.on_kpi(deps, ack, {"user_id": LEAD, "text": "volume 7d"}, respond)
    assert ack.calls == [{}]
    assert deps.kpi.reports == [{"metric": "volume", "agent_id": None}]
    assert sent[0]["response_type"] == "ephemeral"
    assert len(sent[0]["blocks"]) == 1  # no "these are yours" note for a lead


def test_an_agent_gets_their_own_numbers_with_a_note(monkeypatch):
    monkeypatch.setattr(kpi, "report_blocks", lambda report: [{"type": "header"}])
    monkeypatch.setattr(kpi, "report_text", lambda report: report.title)
    deps, ack = kpi_deps(), FakeAck()
    sent, respond = responses()
    kpi.on_kpi(deps, ack, {"user_id": AGENT, "text": "volume"}, respond)
    assert deps.kpi.reports == [{"metric": "volume", "agent_id": AGENT}]
    assert kpi.AGENT_NOTE in str(sent[0]["blocks"][1])


def test_charts_are_for_leads_only():
    deps, ack = kpi_deps(), FakeAck()
    sent, respond = responses()
    kpi.on_kpi(deps, ack, {"user_id": AGENT, "text": "chart volume"}, respond)
    assert ack.calls == [{"text": kpi.LEADS_ONLY}]
    assert deps.kpi.reports == [] and sent == []


def test_a_bad_kpi_question_is_answered_with_usage():
    deps, ack = kpi_deps(), FakeAck()
    sent, respond = responses()
    kpi.on_kpi(deps, ack, {"user_id": LEAD, "text": "volume by nothing"}, respond)
    [answer] = ack.calls
    assert kpi.USAGE in answer["text"] and sent == []


def reaction(name: str, user: str) -> dict[str, Any]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": name,
        "item": {"type": "message", "channel": CHANNEL, "ts": "1.000100"},
    }


def test_only_command_emoji_on_messages_are_kept():
    assert reactions.worth_keeping(reaction("eyes", AGENT))
    assert not reactions.worth_keeping(reaction("tada", AGENT))
    assert not reactions.worth_keeping({**reaction("eyes", AGENT), "item": {"type": "file"}})


def test_an_outsiders_reaction_changes_nothing():
    deps = stub_deps()
    deps.workflow.thread_ticket = SimpleNamespace(number=4, id=1)
    reactions.handle_reaction(deps, None, reaction("white_check_mark", OUTSIDER), "Ev1")
    assert deps.workflow.calls == [] and deps.guard.ephemerals == []


def test_an_agents_eyes_claim_the_ticket_of_the_message():
    deps = stub_deps()
    deps.workflow.thread_ticket = SimpleNamespace(number=4, id=1)
    reactions.handle_reaction(deps, None, reaction("eyes", AGENT), "Ev1")
    names = [name for name, _kwargs in deps.workflow.calls]
    assert names == ["ticket_of_message", "claim"]
    assert deps.workflow.calls[1][1]["number"] == 4
