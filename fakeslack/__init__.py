"""Test doubles for Slack: a fake Web API + Socket Mode server and a signed HTTP-mode driver.

FakeSlack serves the Web API (point WebClient(base_url=fake.api_url) at it) and Socket Mode;
SlackDriver POSTs signed events, slash commands and actions to a Bolt app over HTTP;
BoltHTTPServer hosts a Bolt App for the driver in tests.
"""

from .boltserver import BoltHTTPServer
from .driver import Response, SlackDriver
from .server import FakeSlack
from .state import Call

__all__ = ["BoltHTTPServer", "Call", "FakeSlack", "Response", "SlackDriver"]
