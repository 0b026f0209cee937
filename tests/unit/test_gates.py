"""The listener gates: who gets through, and what everyone else is told (nothing is run)."""

from typing import Any

from handlers import channels
from handlers.slack import gates
from handlers.tickets import listeners
from tests.unit.stubs import AGENT, CHANNEL, LEAD, OUTSIDER, FakeAck, stub_deps


class Next:
    """Bolt's `next`: records whether the listener would run."""

    def __init__(self) -> None:
        self.called = False

    def __call__(self) -> None:
        self.called = True


def run(middleware: Any, body: dict[str, Any]) -> tuple[FakeAck, Next, Any]:
    ack, next_ = FakeAck(), Next()
    returned = middleware(ack=ack, body=body, client=None, next_=next_)
    return ack, next_, returned


def test_an_agent_gets_through_unanswered():
    deps = stub_deps()
    ack, next_, returned = run(gates.agents_only(deps, "no"), {"user_id": AGENT, "command": "/x"})
    assert next_.called and ack.calls == [] and returned is None


def test_a_non_agents_command_is_refused_in_the_ack_and_nothing_runs():
    deps = stub_deps()
    body = {"command": "/ticket", "user_id": OUTSIDER, "text": "claim #1"}
    ack, next_, returned = run(gates.agents_only(deps, listeners.NOT_AN_AGENT), body)
    assert not next_.called
    assert ack.calls == [{"text": listeners.NOT_AN_AGENT}] and returned == "acked"
    assert deps.workflow.calls == [] and deps.guard.ephemerals == []


def test_a_non_agents_press_is_acked_then_told_in_private():
    deps = stub_deps()
    body = {"type": "block_actions", "user": {"id": OUTSIDER}, "channel": {"id": CHANNEL}}
    ack, next_, returned = run(gates.agents_only(deps, "Agents only."), body)
    assert not next_.called and ack.calls == [{}] and returned == "acked"
    assert deps.guard.ephemerals == [{"channel": CHANNEL, "user": OUTSIDER, "text": "Agents only."}]
    assert deps.workflow.calls == []


def test_a_press_with_no_channel_is_only_acked():
    deps = stub_deps()
    ack, next_, _ = run(gates.agents_only(deps, "Agents only."), {"user": {"id": OUTSIDER}})
    assert not next_.called and ack.calls == [{}] and deps.guard.ephemerals == []


def test_staff_only_lets_leads_and_agents_through():
    deps = stub_deps()
    gate = gates.staff_only(deps, "Staff only.")
    for user in (LEAD, AGENT):
        assert run(gate, {"command": "/kpi", "user_id": user})[1].called
    ack, next_, _ = run(gate, {"command": "/kpi", "user_id": OUTSIDER})
    assert not next_.called and ack.calls == [{"text": "Staff only."}]


def test_who_is_asking_is_read_from_any_payload():
    assert gates.user_of({"user_id": "U1"}) == "U1"
    assert gates.user_of({"user": {"id": "U2"}}) == "U2"
    assert gates.user_of({"event": {"user": "U3"}}) == "U3"
    assert gates.user_of({}) is None


class RecordingApp:
    """Records how listeners are registered, as Bolt's decorators are called."""

    def __init__(self) -> None:
        self.registered: list[tuple[str, Any, list[Any], Any]] = []

    def _record(self, kind: str, name: Any, **options: Any) -> Any:
        def decorator(listener: Any) -> Any:
            self.registered.append((kind, name, options.get("middleware") or [], listener))
            return listener

        return decorator

    def command(self, name: str, **options: Any) -> Any:
        return self._record("command", name, **options)

    def action(self, name: Any, **options: Any) -> Any:
        return self._record("action", name, **options)

    def shortcut(self, name: str, **options: Any) -> Any:
        return self._record("shortcut", name, **options)


def test_every_ticket_listener_is_registered_behind_the_agents_gate():
    deps, app = stub_deps(), RecordingApp()
    listeners.register(app, deps)  # type: ignore[arg-type]
    names = {name for _kind, name, _middleware, _listener in app.registered}
    assert names == {"/ticket", listeners.CLAIM_SHORTCUT, *listeners.BUTTON_ACTIONS}
    for _kind, _name, middleware, listener in app.registered:
        [gate] = middleware
        _ack, next_, _ = run(gate, {"user": {"id": OUTSIDER}, "channel": {"id": CHANNEL}})
        assert not next_.called
        assert listener.__name__ in ("on_ticket", "on_button", "on_claim_shortcut")
    assert deps.workflow.calls == []


def test_a_channel_shared_or_unshared_is_forgotten_by_the_leak_guard():
    deps = stub_deps()
    for kind in ("channel_shared", "channel_unshared"):
        channels.on_sharing_changed(deps, {"type": kind, "channel": CHANNEL})
    assert deps.guard.forgotten == [CHANNEL, CHANNEL]
