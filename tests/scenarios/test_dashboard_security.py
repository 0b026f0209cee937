"""The dashboard's gates, over real HTTP with Sign in with Slack through the fake: no page
or export without a session, only leads and agents of the installing workspace get one,
another workspace's session is refused, CSRF and sign-in state are checked, cookies are
flagged, and every route checks the role on the server (walked as every role)."""

import html
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.sessions import SecureCookieSessionInterface

from bot.dashboard.app import create_dashboard
from tests.conftest import ACME, AGENT, COLLEAGUE, CUSTOMER, LEAD
from tests.support import kpi_dataset as data
from tests.support.visitor import RANGE, Visitor, load_named_dataset

# Every route of the dashboard, and who may open it. The last test fails when a route is
# added without being walked here.
ROUTES = {
    "/": {"lead", "agent"},
    f"/?range={RANGE}": {"lead", "agent"},
    "/tickets": {"lead", "agent"},
    "/tickets.csv": {"lead", "agent"},
    "/tickets/3": {"lead", "agent"},
    "/sla": {"lead"},
    "/known": {"lead", "agent"},
    "/kb-gaps": {"lead", "agent"},
}
PUBLIC = {"/login", "/auth/slack/callback", "/logout", "/signed-out", "/static/<path:filename>"}


@pytest.fixture
def bot(start_deskbot, db, clock):
    load_named_dataset(db)
    clock.now = data.NOW
    return start_deskbot(data.CONFIG)


def signed_in(bot, user: str) -> Visitor:
    visitor = Visitor(bot.server.url)
    answer = visitor.sign_in(user)
    assert answer.status == 302 and answer.location.endswith("/"), answer.text
    return visitor


def test_no_page_or_export_without_a_session(bot):
    stranger = Visitor(bot.server.url)
    for path in ROUTES:
        answer = stranger.get(path)
        assert answer.status == 302, path
        assert urlsplit(answer.location).path == "/login", path
        assert b"question" not in answer.body and b"T0" not in answer.body


def test_signing_in_comes_back_to_the_page_asked_for(bot):
    visitor = Visitor(bot.server.url)
    asked = visitor.get(f"/tickets?range={RANGE}&status=live")
    answer = visitor.sign_in(LEAD, start=asked.location)
    assert answer.status == 302
    assert answer.location.endswith(f"/tickets?range={RANGE}&status=live")


def test_sign_in_sends_slack_the_openid_request(bot, fake):
    to_slack = Visitor(bot.server.url).get("/login")
    assert to_slack.location.startswith(fake.base_url + "/openid/connect/authorize?")
    query = parse_qs(urlsplit(to_slack.location).query)
    assert query["scope"] == ["openid profile email"]
    assert query["response_type"] == ["code"]
    assert query["team"] == ["T0HOME"]
    assert query["redirect_uri"] == [bot.server.url + "/auth/slack/callback"]
    assert len(query["state"][0]) >= 32


def test_session_cookie_is_httponly_and_samesite(bot):
    visitor = Visitor(bot.server.url)
    to_slack = visitor.get("/login")
    set_cookie = to_slack.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie  # plain http on loopback: a Secure cookie would be lost
    cookie = visitor.cookie("deskbot_session")
    assert cookie is not None and cookie.has_nonstandard_attr("HttpOnly")


def test_cookie_is_secure_behind_https(bot, fake):
    runtime = bot.app.runtime
    settings = runtime.deps.settings.model_copy(
        update={"deskbot_public_url": "https://desk.example.com"}
    )
    app = create_dashboard(replace(runtime, deps=replace(runtime.deps, settings=settings)))
    client = app.test_client()
    to_slack = client.get("/login", base_url="https://desk.example.com")
    assert "Secure" in to_slack.headers["Set-Cookie"]
    assert (
        "redirect_uri=https%3A%2F%2Fdesk.example.com%2Fauth%2Fslack%2Fcallback"
        in (to_slack.headers["Location"])
    )


@pytest.mark.parametrize("user", [CUSTOMER, COLLEAGUE])
def test_customers_and_other_staff_are_refused_and_get_no_session(bot, user):
    visitor = Visitor(bot.server.url)
    answer = visitor.sign_in(user)
    assert answer.status == 403
    assert "no access" in answer.text
    assert visitor.cookie("deskbot_session") is None or visitor.get("/").status == 302
    for path in ROUTES:
        assert visitor.get(path).status == 302, path  # still nobody: back to sign in


def test_a_session_from_another_workspace_is_refused(bot):
    """A cookie signed with our key but naming another organization's person."""
    app = create_dashboard(bot.app.runtime)
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    forged = serializer.dumps({"uid": CUSTOMER, "tid": ACME, "name": "carla", "csrf": "x"})
    visitor = Visitor(bot.server.url)
    for path in ROUTES:
        answer = visitor.request_with_cookie(path, "deskbot_session", forged)
        assert answer.status == 403, path
        assert b"question" not in answer.body


def test_a_cookie_signed_with_another_key_is_no_session(bot):
    visitor = Visitor(bot.server.url)
    answer = visitor.request_with_cookie("/", "deskbot_session", "eyJ1aWQiOiJVTEVBRDEifQ.x.y")
    assert answer.status == 302


def test_every_route_checks_the_role(bot):
    visitors = {"lead": signed_in(bot, LEAD), "agent": signed_in(bot, AGENT)}
    for path, allowed in ROUTES.items():
        for role, visitor in visitors.items():
            answer = visitor.get(path)
            assert answer.status == (200 if role in allowed else 403), (role, path)
            if role not in allowed:
                assert "no access" in answer.text and "Breaches" not in answer.text


def test_every_route_is_walked(bot):
    app = create_dashboard(bot.app.runtime)
    rules = {re.sub(r"<int:\w+>", "3", rule.rule) for rule in app.url_map.iter_rules()}
    walked = {urlsplit(path).path for path in ROUTES}
    assert rules - PUBLIC == walked


def test_sign_out_needs_the_csrf_token(bot):
    visitor = signed_in(bot, LEAD)
    page = visitor.get("/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert visitor.post("/logout", {}).status == 400
    assert visitor.post("/logout", {"csrf_token": "forged"}).status == 400
    assert visitor.get("/").status == 200  # a refused POST changed nothing
    assert visitor.post("/logout", {"csrf_token": token}).status == 302
    assert visitor.get("/").status == 302


def test_a_callback_not_started_here_is_refused(bot, fake):
    visitor = Visitor(bot.server.url)
    code = fake.openid.issue_code(LEAD, bot.server.url + "/auth/slack/callback")
    answer = visitor.get(f"/auth/slack/callback?code={code}&state=guessed")
    assert answer.status == 400 and "sign in again" in answer.text
    assert visitor.get("/").status == 302


def test_a_replayed_callback_is_refused(bot):
    visitor = Visitor(bot.server.url)
    to_slack = visitor.get("/login")
    params = {k: v[0] for k, v in parse_qs(urlsplit(to_slack.location).query).items()}
    back = visitor.post(
        to_slack.location.split("/openid")[0] + "/openid/connect/approve",
        {**{k: params[k] for k in ("client_id", "redirect_uri", "state", "scope")}, "user": LEAD},
    )
    assert visitor.get(back.location).status == 302  # signed in
    assert visitor.get(back.location).status == 400  # the same callback again
    assert Visitor(bot.server.url).get(back.location).status == 400  # or from elsewhere


def test_pages_carry_protective_headers(bot):
    answer = signed_in(bot, LEAD).get("/")
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_bad_input_is_a_clear_400(bot):
    visitor = signed_in(bot, LEAD)
    for path, says in [
        ("/tickets?status=bogus", "status='bogus'"),
        ("/tickets?sort=evil", "sort='evil'"),
        ("/tickets?page=0", "page='0'"),
        ("/tickets?stars=9&on=asked", "stars='9'"),
        ("/tickets?numbers=1,x", "numbers"),
        ("/?range=fortnight", "is not a range"),
        ("/sla?range=all", "Pick a range"),
        ("/tickets?org=" + "x" * 600, "at most 500"),
    ]:
        answer = visitor.get(path)
        assert answer.status == 400, path
        assert says in html.unescape(answer.text), (path, answer.text[-600:])
    assert visitor.get("/tickets/999").status == 404


def test_a_post_to_a_page_is_refused(bot):
    visitor = signed_in(bot, LEAD)
    assert visitor.post("/tickets", {"csrf_token": "x"}).status == 400  # CSRF first


def test_a_code_slack_does_not_know_is_refused(bot):
    visitor = Visitor(bot.server.url)
    to_slack = visitor.get("/login")
    state = parse_qs(urlsplit(to_slack.location).query)["state"][0]
    answer = visitor.get(f"/auth/slack/callback?code=made-up&state={state}")
    assert answer.status == 400 and "invalid_code" in answer.text
    assert visitor.get("/").status == 302
