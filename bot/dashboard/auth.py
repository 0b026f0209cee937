"""Who may see the dashboard: Sign in with Slack (OpenID Connect), sessions, roles, CSRF.

Sign-in is Slack's OpenID Connect flow: /login sends the browser to Slack's authorize page
with a one-time `state`; Slack sends it back to /auth/slack/callback with a code, which is
exchanged (`openid.connect.token`) for a token that tells who signed in
(`openid.connect.userInfo`). Only people of the installing workspace who are leads or
agents get a session; the role is looked up again on every request (a lead removed from
the config loses the team view at once). Sessions live in a signed cookie (HttpOnly,
SameSite=Lax, Secure behind https), expire after `SESSION_HOURS`, and carry a CSRF token
every POST must send back.
"""

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, g, redirect, request, session, url_for
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import DeskConfig
from bot.people import Directory
from bot.settings import Settings

logger = logging.getLogger(__name__)

LEAD, AGENT = "lead", "agent"
SCOPES = ("openid", "profile", "email")
CALLBACK_PATH = "/auth/slack/callback"
SESSION_HOURS = 12
USER_ID, TEAM_ID = "https://slack.com/user_id", "https://slack.com/team_id"


class SignInError(Exception):
    """Slack did not confirm who is signing in; the message says why, for the page."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person and what they may see."""

    user_id: str
    team_id: str
    name: str
    role: str  # LEAD or AGENT

    @property
    def is_lead(self) -> bool:
        """Whether this person sees the team's numbers."""
        return self.role == LEAD


class SlackSignIn:
    """The OpenID Connect client: the authorize URL, and a code exchanged for claims."""

    def __init__(self, settings: Settings) -> None:
        assert settings.slack_client_id and settings.slack_client_secret
        self.client_id = settings.slack_client_id
        self._secret = settings.slack_client_secret.get_secret_value()
        self.api_url = settings.slack_api_url
        # Slack's Web API is https://slack.com/api/; its browser pages are beside it.
        self.authorize_url = self.api_url.rstrip("/").removesuffix("/api") + (
            "/openid/connect/authorize"
        )

    def authorize(self, *, redirect_uri: str, state: str, nonce: str, team: str) -> str:
        """Where to send the browser to sign in (only to the installing workspace)."""
        query = {
            "response_type": "code",
            "scope": " ".join(SCOPES),
            "client_id": self.client_id,
            "state": state,
            "nonce": nonce,
            "team": team,
            "redirect_uri": redirect_uri,
        }
        return f"{self.authorize_url}?{urlencode(query)}"

    def identify(self, *, code: str, redirect_uri: str) -> dict[str, Any]:
        """Exchange the code; the person's claims from `openid.connect.userInfo`."""
        try:
            tokens = WebClient(base_url=self.api_url, timeout=10).openid_connect_token(
                client_id=self.client_id,
                client_secret=self._secret,
                code=code,
                redirect_uri=redirect_uri,
            )
            claims = WebClient(
                token=str(tokens["access_token"]), base_url=self.api_url, timeout=10
            ).openid_connect_userInfo()
        except SlackApiError as error:
            raise SignInError(
                f"Slack refused the sign-in ({error.response.get('error')})."
            ) from None
        except OSError as error:
            logger.warning("sign-in: cannot reach Slack: %s", error)
            raise SignInError("Slack could not be reached; try again.") from None
        return dict(claims.data) if isinstance(claims.data, dict) else {}


def role_of(people: Directory, desk: DeskConfig, *, user_id: str, team_id: str) -> str | None:
    """LEAD, AGENT, or None (customers, other organizations, everyone else)."""
    if team_id != people.identity.workspace_id:
        return None
    if user_id in desk.leads:
        return LEAD
    return AGENT if people.is_agent(user_id, team_id=team_id) else None


def begin(sign_in: SlackSignIn, *, redirect_uri: str, team: str, after: str) -> Response:
    """Start signing in: remember a fresh state and nonce, send the browser to Slack."""
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
    session.clear()
    session["oauth"] = {"state": state, "nonce": nonce, "next": after}
    return redirect(
        sign_in.authorize(redirect_uri=redirect_uri, state=state, nonce=nonce, team=team)
    )


def finish(sign_in: SlackSignIn, *, redirect_uri: str) -> tuple[dict[str, Any], str]:
    """Check the callback's state and exchange its code: (claims, where to go next).

    A missing or wrong state (a forged or replayed callback) is a SignInError.
    """
    pending = session.pop("oauth", None) or {}
    state, code = request.args.get("state", ""), request.args.get("code", "")
    if request.args.get("error"):
        raise SignInError(f"Slack said: {request.args['error'][:80]}.")
    if not pending or not code or not hmac.compare_digest(str(pending.get("state")), state):
        raise SignInError("This sign-in link is stale or was not started here; sign in again.")
    claims = sign_in.identify(code=code, redirect_uri=redirect_uri)
    return claims, str(pending.get("next") or "/")


def start_session(*, user_id: str, team_id: str, name: str) -> None:
    """A new session for a signed-in person (a new cookie: nothing carried over)."""
    session.clear()
    session.permanent = True
    # No sign-in time of our own: the cookie's signature carries its age, and Flask ends
    # the session after PERMANENT_SESSION_LIFETIME.
    session.update(uid=user_id, tid=team_id, name=name[:200], csrf=secrets.token_urlsafe(24))


def current_viewer(people: Directory, desk: DeskConfig) -> Viewer | None:
    """The signed-in person with their role now, or None (no session, or refused)."""
    user_id, team_id = session.get("uid"), session.get("tid")
    if not isinstance(user_id, str) or not isinstance(team_id, str):
        return None
    role = role_of(people, desk, user_id=user_id, team_id=team_id)
    if role is None:
        return None
    return Viewer(user_id, team_id, str(session.get("name") or user_id), role)


def csrf_token() -> str:
    """The session's CSRF token (for forms that POST)."""
    return str(session.get("csrf") or "")


def check_csrf() -> None:
    """Abort with 400 unless a POST carries the session's CSRF token."""
    sent = request.form.get("csrf_token", "")
    if not sent or not csrf_token() or not hmac.compare_digest(sent, csrf_token()):
        abort(400, "The form was stale or not sent from this dashboard (CSRF check); reload.")


def safe_next(path: str | None) -> str:
    """A same-site path to go back to after signing in (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def allow(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare which roles may open a page; checked on the server before the view runs."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            viewer: Viewer | None = g.get("viewer")
            if viewer is None:
                if session.get("uid"):  # signed in, but no longer lead or agent
                    abort(403)
                return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
            if viewer.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        checked.roles = roles  # type: ignore[attr-defined]
        return checked

    return decorate
