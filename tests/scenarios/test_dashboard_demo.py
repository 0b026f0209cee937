"""`deskbot demo` serves the dashboard, links it from the workspace page, and signs in the
person acting there through the workspace's own OpenID pages."""

import json
import urllib.request

from bot.demo.workspace import CARLA, LEE
from tests.scenarios import test_demo_browser
from tests.support.visitor import Visitor

demo = test_demo_browser.demo  # the running demo, as the demo's browser test starts it


def test_the_workspace_page_links_the_dashboard_and_lee_signs_in(demo):
    with urllib.request.urlopen(demo.url + "client/workspace", timeout=10) as reply:
        workspace = json.load(reply)
    assert workspace["dashboard_port"] == demo.server.port
    visitor = Visitor(f"http://127.0.0.1:{workspace['dashboard_port']}")
    authorize = visitor.get(visitor.get("/login").location)
    assert authorize.status == 200
    assert "Sign in to Northwind" in authorize.text and "Lee" in authorize.text
    assert visitor.sign_in(LEE).status == 302
    overview = visitor.get("/")
    assert overview.status == 200 and "Support overview" in overview.text


def test_a_customer_of_the_demo_is_refused(demo):
    visitor = Visitor(f"http://127.0.0.1:{demo.server.port}")
    assert visitor.sign_in(CARLA).status == 403
    assert visitor.get("/tickets").status == 302
