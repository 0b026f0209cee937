"""`/ticket`, the ticket buttons and the claim shortcut, called with stub ports and a fake ack."""

from typing import Any

from bot.events import TicketChanged
from bot.tickets.results import WorkflowError
from handlers.tickets import listeners
from handlers.tickets.commands import USAGE
from tests.unit.stubs import AGENT, CHANNEL, WORKSPACE, FakeAck, stub_deps


def command(text: str, user: str = AGENT) -> dict[str, Any]:
    return {"command": "/ticket", "text": text, "user_id": user, "channel_id": CHANNEL}


def press(action_id: str, value: str, *, option: bool = False) -> dict[str, Any]:
    if option:
        return {"action_id": action_id, "selected_option": {"value": value}}
    return {"action_id": action_id, "value": value}


BODY = {"user": {"id": AGENT}, "channel": {"id": CHANNEL}}


def test_ticket_claim_runs_the_workflow_and_answers_in_the_ack():
    deps, ack = stub_deps(), FakeAck()
    listeners.on_ticket(deps, ack, command("claim #4"))
    assert deps.workflow.calls == [
        ("claim", {"workspace_id": WORKSPACE, "number": 4, "agent_id": AGENT})
    ]
    assert ack.calls == [{"text": "claim #4 done."}]


def test_ticket_effects_follow_the_answer_marked_as_made_by_a_command():
    deps, ack = stub_deps(), FakeAck()
    seen: list[tuple[int, TicketChanged]] = []
    deps.events.subscribe(lambda event: seen.append((len(ack.calls), event)))
    listeners.on_ticket(deps, ack, command("resolve #4 fixed"))
    [(acks_before, event)] = seen
    assert acks_before == 1  # Slack had its answer first
    assert event.action == "resolve" and event.by_command


def test_ticket_usage_errors_are_answered_with_the_usage():
    deps, ack = stub_deps(), FakeAck()
    listeners.on_ticket(deps, ack, command("frobnicate #4"))
    [answer] = ack.calls
    assert answer["text"].startswith("Unknown command `frobnicate`.") and USAGE in answer["text"]
    assert deps.workflow.calls == []


def test_ticket_workflow_errors_are_answered_as_they_are():
    deps, ack = stub_deps(), FakeAck()
    deps.workflow.error = WorkflowError("There is no ticket #9.")
    listeners.on_ticket(deps, ack, command("pending #9"))
    assert ack.calls == [{"text": "There is no ticket #9."}]


def test_ticket_assign_to_a_non_agent_is_refused_by_the_listener():
    deps, ack = stub_deps(), FakeAck()
    listeners.on_ticket(deps, ack, command("assign #4 <@UCUST1>"))
    assert ack.calls == [{"text": "<@UCUST1> is not an agent, so cannot hold tickets."}]
    assert deps.workflow.calls == []


def test_ticket_claim_in_a_thread_takes_the_threads_ticket():
    deps, ack = stub_deps(), FakeAck()
    deps.workflow.thread_ticket = type("T", (), {"number": 12})()
    listeners.on_ticket(deps, ack, {**command("claim"), "thread_ts": "1.0"})
    assert ("claim", {"workspace_id": WORKSPACE, "number": 12, "agent_id": AGENT}) in (
        deps.workflow.calls
    )


def test_buttons_act_on_the_ticket_their_value_names():
    deps = stub_deps()
    for action_id, name in [
        ("ticket_claim", "claim"),
        ("ticket_resolve", "resolve"),
        ("ticket_reopen", "reopen"),
    ]:
        ack = FakeAck()
        listeners.on_button(deps, ack, BODY, press(action_id, "7"), client=None)
        assert ack.calls == [{}]
        assert deps.workflow.calls[-1][0] == name and deps.workflow.calls[-1][1]["number"] == 7
    assert deps.guard.ephemerals == []


def test_the_priority_menu_sets_the_chosen_priority():
    deps, ack = stub_deps(), FakeAck()
    listeners.on_button(
        deps, ack, BODY, press("ticket_priority", "7:urgent", option=True), client=None
    )
    assert deps.workflow.calls == [
        (
            "set_priority",
            {"workspace_id": WORKSPACE, "number": 7, "actor_id": AGENT, "priority": "urgent"},
        )
    ]


def test_a_stale_button_is_refused_politely():
    deps, ack = stub_deps(), FakeAck()
    listeners.on_button(deps, ack, BODY, press("ticket_resolve", "#7"), client=None)
    assert ack.calls == [{}] and deps.workflow.calls == []
    assert deps.guard.ephemerals == [
        {"channel": CHANNEL, "user": AGENT, "text": listeners.STALE_BUTTON}
    ]


def test_a_refused_press_is_told_where_it_was_pressed():
    deps, ack = stub_deps(), FakeAck()
    deps.workflow.error = WorkflowError("#7 is already claimed by <@UAGENT2>.")
    listeners.on_button(deps, ack, BODY, press("ticket_claim", "7"), client=None)
    assert deps.guard.ephemerals == [
        {"channel": CHANNEL, "user": AGENT, "text": "#7 is already claimed by <@UAGENT2>."}
    ]


def test_the_claim_shortcut_claims_the_threads_ticket():
    deps, ack = stub_deps(), FakeAck()
    deps.workflow.thread_ticket = type("T", (), {"number": 5})()
    shortcut = {
        "callback_id": listeners.CLAIM_SHORTCUT,
        "user": {"id": AGENT},
        "channel": {"id": CHANNEL},
        "message_ts": "2.0",
        "message": {"ts": "2.0", "thread_ts": "1.0"},
    }
    listeners.on_claim_shortcut(deps, ack, shortcut, client=None)
    assert ack.calls == [{}]
    assert ("claim", {"workspace_id": WORKSPACE, "number": 5, "agent_id": AGENT}) in (
        deps.workflow.calls
    )
    assert deps.guard.ephemerals == [{"channel": CHANNEL, "user": AGENT, "text": "claim #5 done."}]
