"""A browser without a browser: cookies, no automatic redirects, and Sign in with Slack
through the fake's OpenID pages, all over real HTTP."""

import http.cookiejar
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.client import HTTPMessage
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from fakeslack.openid import APPROVE_PATH


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # the caller sees the 302 and decides


@dataclass
class Answer:
    """One HTTP response."""

    status: int
    headers: HTTPMessage
    body: bytes
    url: str

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8")

    @property
    def location(self) -> str:
        """Where a redirect points, absolute."""
        return urljoin(self.url, self.headers.get("Location", ""))


@dataclass
class Visitor:
    """One person's browser against the dashboard at `base`."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)
    timeout: float = 30.0

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects()
        )

    def request(self, url: str, data: dict[str, str] | None = None) -> Answer:
        """GET (or POST a form to) a URL or a path of the dashboard."""
        url = urljoin(self.base, url)
        body = urlencode(data).encode() if data is not None else None
        try:
            with self._opener.open(
                urllib.request.Request(url, data=body), timeout=self.timeout
            ) as reply:
                return Answer(reply.status, reply.headers, reply.read(), url)
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read(), url)

    def request_with_cookie(self, url: str, name: str, value: str) -> Answer:
        """GET with exactly this cookie (a forged or foreign one), outside the jar."""
        request = urllib.request.Request(
            urljoin(self.base, url), headers={"Cookie": f"{name}={value}"}
        )
        opener = urllib.request.build_opener(_NoRedirects())
        try:
            with opener.open(request, timeout=self.timeout) as reply:
                return Answer(reply.status, reply.headers, reply.read(), request.full_url)
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read(), request.full_url)

    def get(self, url: str) -> Answer:
        """GET, without following a redirect."""
        return self.request(url)

    def post(self, url: str, data: dict[str, str]) -> Answer:
        """POST a form."""
        return self.request(url, data)

    def sign_in(self, user: str, *, start: str = "/login") -> Answer:
        """Sign in through the fake's OpenID pages as `user`; the callback's answer."""
        to_slack = self.get(start)
        assert to_slack.status == 302, to_slack.text
        page = self.get(to_slack.location)
        assert page.status == 200, page.text
        params = {k: v[0] for k, v in parse_qs(urlsplit(to_slack.location).query).items()}
        form = {k: params[k] for k in ("client_id", "redirect_uri", "state", "nonce", "scope")}
        approve = urljoin(to_slack.location, APPROVE_PATH)
        back = self.post(approve, {**form, "user": user})
        assert back.status == 302, back.text
        return self.get(back.location)

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        """A cookie the dashboard set."""
        return next((c for c in self.jar if c.name == name), None)


RANGE = "2026-11-02..2026-11-06"  # the KPI dataset's week (tests/support/kpi_dataset.py)
NAMES = {
    ("user", "UAGENT1"): "Ana Agent",
    ("user", "UAGENT2"): "Ben Agent",
    ("user", "UCUSTB"): "Bea Customer",
    ("org", "T0ACME"): "Acme Corp",
    ("org", "T0BETA"): "Beta GmbH",
    ("org", "T0GAMMA"): "Gamma KK",
    ("channel", "C0BETA"): "help-beta",
}


def load_named_dataset(engine) -> None:  # type: ignore[no-untyped-def]
    """The KPI dataset, with the names Slack would have given its people, orgs, channels."""
    from store.db import session_scope
    from store.names import remember_name
    from tests.support import kpi_dataset as data

    data.load(engine)
    with session_scope(engine) as session:
        for (kind, slack_id), name in NAMES.items():
            remember_name(session, kind=kind, slack_id=slack_id, name=name, at=data.NOW)
