"""Every Web API method the app called during a scenario is one it declares (and so scoped)."""

import handlers
from tests.conftest import ACME, AGENT, CUSTOMER, HELP, HOME


def test_methods_called_in_an_intake_scenario_are_declared(deskbot, fake):
    root = deskbot.driver.message(channel=HELP, user=CUSTOMER, team=ACME, text="help").ts
    deskbot.driver.message(channel=HELP, user=AGENT, team=HOME, text="on it", thread_ts=root)
    deskbot.driver.message(channel="C0ITHELP", user="UINT1", team=None, text="printer jam")
    deskbot.drain()
    called = {call.method for call in fake.calls}
    assert called <= handlers.declared_methods()
    assert {"chat.postMessage", "reactions.add", "chat.getPermalink", "users.info"} <= called
