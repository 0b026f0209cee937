"""Sign in with Slack (OpenID Connect) as the fake serves it: the browser's authorize page,
`openid.connect.token` and `openid.connect.userInfo`.

The authorize page (GET /openid/connect/authorize) checks the request as Slack does (the
client id, `response_type=code`, the `openid` scope, a redirect URI) and shows the
workspace's people, each a button: pressing one signs that person in (POST
/openid/connect/approve) and redirects the browser back with a one-time code. The page
puts the person acting in the demo's workspace page first (it remembers them in the
browser), so the demo signs in whoever is acting. Codes last ten minutes and work once;
access tokens answer `openid.connect.userInfo` for their person only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from .state import ApiError, Workspace

OPENID_METHODS = frozenset({"openid.connect.token", "openid.connect.userInfo"})
AUTHORIZE_PATH = "/openid/connect/authorize"
APPROVE_PATH = "/openid/connect/approve"
CODE_SECONDS = 600
CLIENT_ID, CLIENT_SECRET = "fake-client-id", "fake-client-secret"  # the fake app's defaults
PASSED_ON = ("client_id", "redirect_uri", "state", "nonce", "scope")


class _Replier(Protocol):
    def reply(self, status: int, headers: dict[str, str], body: bytes, ctype: str) -> None: ...


@dataclass(frozen=True)
class Grant:
    """What a code stands for until it is exchanged."""

    user_id: str
    team_id: str
    redirect_uri: str
    nonce: str
    expires: float


class OpenIdProvider:
    """The fake's Sign in with Slack: one client (id and secret), codes and user tokens."""

    def __init__(
        self,
        ws: Workspace,
        *,
        client_id: str,
        client_secret: str,
        now: Callable[[], float] = time.time,
        issuer: Callable[[], str] = lambda: "https://slack.com",
    ) -> None:
        self.ws = ws
        self.client_id = client_id
        self.client_secret = client_secret
        self._now = now
        self._issuer = issuer
        self._lock = threading.Lock()
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, tuple[str, str]] = {}  # access token -> (user, team)

    # --- the browser side ----------------------------------------------------------

    def handle(self, replier: _Replier, method: str, path: str, query: str, body: bytes) -> None:
        """Answer the authorize page (GET) or a person's choice on it (POST)."""
        if path == AUTHORIZE_PATH and method == "GET":
            params = dict(parse_qsl(query))
            problem = self._check(params)
            if problem:
                replier.reply(400, {}, _page("Sign in failed", html.escape(problem)), "text/html")
                return
            replier.reply(200, {}, self._chooser(params), "text/html")
        elif path == APPROVE_PATH and method == "POST":
            params = dict(parse_qsl(body.decode("utf-8", "replace")))
            problem = self._check(params)
            with self.ws.lock:
                user = self.ws.users.get(params.get("user", ""))
            if problem or user is None or user["is_bot"]:
                why = problem or "pick a person of the workspace"
                replier.reply(400, {}, _page("Sign in failed", html.escape(why)), "text/html")
                return
            code = self.issue_code(user["id"], params["redirect_uri"], params.get("nonce", ""))
            back = {"code": code, **({"state": params["state"]} if "state" in params else {})}
            joiner = "&" if "?" in params["redirect_uri"] else "?"
            location = params["redirect_uri"] + joiner + urlencode(back)
            replier.reply(302, {"Location": location}, b"", "text/plain")
        else:
            replier.reply(404, {}, b"not found", "text/plain")

    def _check(self, params: dict[str, str]) -> str | None:
        """Slack's checks of an authorize request: what is wrong with it, or None."""
        if params.get("client_id") != self.client_id:
            return "invalid_client_id: this app is not installed here"
        if params.get("response_type", "code") != "code":
            return "unsupported_response_type: only code"
        if "openid" not in params.get("scope", "").split():
            return "invalid_scope: the openid scope is required"
        target = urlsplit(params.get("redirect_uri", ""))
        if target.scheme not in ("http", "https") or not target.netloc:
            return "bad_redirect_uri: an absolute http(s) redirect_uri is required"
        return None

    def _chooser(self, params: dict[str, str]) -> bytes:
        with self.ws.lock:
            people = [u for u in self.ws.users.values() if not u["is_bot"] and not u["deleted"]]
            teams = {self.ws.team_id: self.ws.team_name} | {
                team_id: team["name"] for team_id, team in self.ws.teams.items()
            }
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
            for name in PASSED_ON
            if name in params
        )
        buttons = "".join(
            f'<li><button type="submit" name="user" value="{html.escape(u["id"])}" '
            f'data-user="{html.escape(u["id"])}">Continue as '
            f"<strong>{html.escape(u['real_name'] or u['name'])}</strong> "
            f"<span>{html.escape(teams.get(u['team_id'], u['team_id']))}</span></button></li>"
            for u in people
        )
        form = (
            f"<p>deskbot wants to sign you in with your Slack account.</p>"
            f'<form method="post" action="{APPROVE_PATH}">{hidden}'
            f'<ul id="people">{buttons}</ul></form>{_REMEMBERED}'
        )
        return _page(f"Sign in to {html.escape(self.ws.team_name)}", form)

    def issue_code(self, user_id: str, redirect_uri: str, nonce: str = "") -> str:
        """A one-time code for a person, as the approve step makes it."""
        with self.ws.lock:
            team_id = self.ws.users[user_id]["team_id"]
        code = "code-" + secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = Grant(
                user_id, team_id, redirect_uri, nonce, self._now() + CODE_SECONDS
            )
        return code

    # --- the Web API side ------------------------------------------------------------

    def serve(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Answer `openid.connect.token` (client credentials) or `userInfo` (a user token)."""
        if method == "openid.connect.token":
            return self._token(args, token)
        return self._user_info(token)

    def _token(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if token and token.lower().startswith("basic "):  # slack_sdk sends HTTP Basic
            try:
                pair = base64.b64decode(token[6:].strip()).decode()
            except ValueError:
                raise ApiError("invalid_arguments", "unreadable Basic credentials") from None
            args.setdefault("client_id", pair.partition(":")[0])
            args.setdefault("client_secret", pair.partition(":")[2])
        for name in ("client_id", "client_secret", "code"):
            if not args.get(name):
                raise ApiError("invalid_arguments", f"{name} is required")
        if args["client_id"] != self.client_id:
            raise ApiError("invalid_client_id")
        secret = str(args.pop("client_secret"))  # never kept in fake.calls
        if not hmac.compare_digest(secret, self.client_secret):
            raise ApiError("bad_client_secret")
        with self._lock:
            grant = self._codes.pop(str(args["code"]), None)  # a code works once
        if grant is None or grant.expires < self._now():
            raise ApiError("invalid_code")
        if args.get("redirect_uri") and args["redirect_uri"] != grant.redirect_uri:
            raise ApiError("bad_redirect_uri")
        token = "xoxp-" + secrets.token_hex(12)
        with self._lock:
            self._tokens[token] = (grant.user_id, grant.team_id)
        return {
            "ok": True,
            "access_token": token,
            "token_type": "Bearer",
            "id_token": self._id_token(grant),
        }

    def _claims(self, user_id: str, team_id: str) -> dict[str, Any]:
        with self.ws.lock:
            user = self.ws.users.get(user_id) or {}
            team = (
                {"name": self.ws.team_name, "domain": self.ws.team_domain}
                if team_id == self.ws.team_id
                else self.ws.teams.get(team_id, {"name": team_id, "domain": team_id})
            )
        profile = user.get("profile", {})
        return {
            "sub": user_id,
            "https://slack.com/user_id": user_id,
            "https://slack.com/team_id": team_id,
            "email": profile.get("email", ""),
            "email_verified": True,
            "name": user.get("real_name") or user.get("name", user_id),
            "given_name": (user.get("real_name") or user.get("name", "")).split(" ")[0],
            "locale": "en-US",
            "https://slack.com/team_name": team["name"],
            "https://slack.com/team_domain": team["domain"],
        }

    def _id_token(self, grant: Grant) -> str:
        """A JWT of the claims, signed HS256 with the client secret (Slack signs RS256)."""
        now = int(self._now())
        claims = {
            "iss": self._issuer(),
            "aud": self.client_id,
            "iat": now,
            "exp": now + 3600,
            "nonce": grant.nonce,
            **self._claims(grant.user_id, grant.team_id),
        }

        def part(data: dict[str, Any]) -> bytes:
            raw = json.dumps(data, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=")

        signed = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(claims)
        mac = hmac.new(self.client_secret.encode(), signed, hashlib.sha256).digest()
        return (signed + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()

    def _user_info(self, token: str | None) -> dict[str, Any]:
        with self._lock:
            found = self._tokens.get(token or "")
        if found is None:
            raise ApiError("invalid_auth", "not a token this fake issued")
        return {"ok": True, **self._claims(*found)}

    def owns(self, token: str | None) -> bool:
        """Whether a token is a user token this provider issued."""
        with self._lock:
            return (token or "") in self._tokens

    def reset(self) -> None:
        """Forget codes and tokens."""
        with self._lock:
            self._codes.clear()
            self._tokens.clear()


# The demo's workspace page remembers who is acting (localStorage, same origin): that
# person's button comes first and has the focus.
_REMEMBERED = """<script>
(() => {
  const me = localStorage.getItem("fakeslack.me");
  const list = document.getElementById("people");
  const mine = me && list.querySelector(`button[data-user="${CSS.escape(me)}"]`);
  if (mine) { list.prepend(mine.parentElement); mine.classList.add("me"); }
  (mine || list.querySelector("button")).focus();
})();
</script>"""

_STYLE = (
    "body{font:15px/1.4 system-ui,sans-serif;background:#f4ede4;margin:0;padding:40px 16px}"
    "main{max-width:440px;margin:auto;background:#fff;border-radius:8px;padding:24px 28px;"
    "box-shadow:0 1px 3px #0002}h1{font-size:22px}ul{list-style:none;padding:0}"
    "button{width:100%;text-align:left;padding:10px 12px;margin:4px 0;border:1px solid #ccc;"
    "border-radius:6px;background:#fff;font:inherit;cursor:pointer}"
    "button:hover,button:focus{border-color:#611f69;outline:2px solid #611f69}"
    "button.me{background:#f8f0fa}button span{color:#666;float:right}"
)


def _page(title: str, content: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} · Slack</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{title}</h1>{content}</main></body></html>"
    ).encode()
