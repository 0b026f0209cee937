"""Test doubles for Slack: a fake Web API + Socket Mode server and a signed HTTP-mode driver.

FakeSlack serves the Web API (point WebClient(base_url=fake.api_url) at it) and Socket Mode;
SlackDriver POSTs signed events, slash commands and actions to a Bolt app over HTTP;
BoltHTTPServer hosts a Bolt App for the driver in tests; Humans acts as the workspace's
people (post, react, press, run commands) and WebUI serves a browser client for it
(`deskbot demo`).
"""

from .boltserver import BoltHTTPServer
from .driver import Response, SlackDriver
from .humans import Humans, Target
from .server import FakeSlack
from .state import Call

__all__ = ["BoltHTTPServer", "Call", "FakeSlack", "Humans", "Response", "SlackDriver", "Target"]
