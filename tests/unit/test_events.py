"""The dispatcher: subscribers in order, a failing one logged and skipped, held delivery."""

import logging
from types import SimpleNamespace

from bot.events import Dispatcher, TicketChanged
from handlers.slack import effects


def event(action: str = "resolved", **kwargs) -> TicketChanged:
    return TicketChanged(SimpleNamespace(number=3, id=1), action, "UAGENT1", **kwargs)  # type: ignore[arg-type]


def test_a_failing_subscriber_is_logged_and_the_others_still_run(caplog):
    dispatcher, seen = Dispatcher(), []

    def broken(_event: TicketChanged) -> None:
        raise RuntimeError("Slack is down")

    dispatcher.subscribe(broken)
    dispatcher.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger="bot.events"):
        dispatcher.emit(event())
    assert len(seen) == 1 and "after resolved on #3" in caplog.text


def test_held_events_wait_for_the_end_of_the_block_even_when_it_fails():
    dispatcher, seen = Dispatcher(), []
    dispatcher.subscribe(seen.append)
    try:
        with dispatcher.held(by_command=True):
            dispatcher.emit(event())
            assert seen == []
            raise ValueError("the answer could not be sent")
    except ValueError:
        pass
    assert [e.by_command for e in seen] == [True]


def test_the_triage_thread_is_told_of_commands_not_of_presses():
    assert effects.triage_line(None, event(summary="#3 is resolved.", by_command=True)) == (
        "<@UAGENT1>: #3 is resolved."
    )
    assert effects.triage_line(None, event(summary="#3 is resolved.")) is None
    assert effects.triage_line(None, event("note", detail={"text": "hi"})) == (
        ":memo: Note by <@UAGENT1>: hi"
    )
    assert effects.triage_line(None, event("priority", by_command=True)) is None
