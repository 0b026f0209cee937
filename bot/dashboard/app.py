"""`create_dashboard`: the leads' web dashboard as a Flask app, served beside /slack/events.

Every page is declared with the roles that may open it (`auth.allow`); a request's viewer
is worked out once (`before_request`), every POST is checked for its CSRF token, and every
answer carries headers that keep it out of frames, caches and other sites' scripts.
"""

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from flask import Flask, Response, abort, g, render_template, request
from werkzeug.exceptions import HTTPException

from bot.dashboard import auth, pages, signin, tickets  # noqa: F401  (they add the routes)
from bot.dashboard.context import EXTENSION, Desk, blueprint
from bot.kpi.report import format_duration, format_value
from bot.runtime import Runtime

# No script, no frames, nothing from elsewhere: the pages are HTML, CSS and inline SVG.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
PUBLIC = frozenset(
    {"static", "dashboard.login", "dashboard.callback", "dashboard.logout", "dashboard.signed_out"}
)


def session_key(runtime: Runtime) -> bytes:
    """The key that signs session cookies: DESKBOT_SESSION_SECRET, else derived from the
    Slack app's client secret (so a restart keeps everyone signed in)."""
    settings = runtime.deps.settings
    if settings.deskbot_session_secret is not None:
        return settings.deskbot_session_secret.get_secret_value().encode()
    assert settings.slack_client_secret is not None
    secret = settings.slack_client_secret.get_secret_value().encode()
    return hmac.new(secret, b"deskbot dashboard sessions", hashlib.sha256).digest()


def create_dashboard(runtime: Runtime) -> Flask:
    """The dashboard for a built deskbot (needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)."""
    deps = runtime.deps
    settings = deps.settings
    app = Flask(__name__, static_url_path="/static")
    public = settings.deskbot_public_url or ""
    app.config.update(
        SECRET_KEY=session_key(runtime),
        SESSION_COOKIE_NAME="deskbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",  # Lax: the sign-in callback is a top-level GET
        SESSION_COOKIE_SECURE=public.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=auth.SESSION_HOURS),
        MAX_CONTENT_LENGTH=64 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions[EXTENSION] = Desk(
        settings=settings,
        desk=deps.desk,
        people=deps.people,
        kpi=deps.kpi,
        suggestions=deps.suggestions,
        engine=runtime.engine,
        clock=deps.clock,
        sign_in=auth.SlackSignIn(settings),
    )
    app.register_blueprint(blueprint)
    app.jinja_env.filters.update(duration=_duration, value=format_value, percent=_percent)
    app.jinja_env.globals.update(
        csrf_token=auth.csrf_token,
        local=lambda moment: app.extensions[EXTENSION].local(moment),
        span=lambda date_range: app.extensions[EXTENSION].span(date_range),
    )

    @app.before_request
    def identify() -> None:
        extension: Desk = app.extensions[EXTENSION]
        g.viewer = auth.current_viewer(extension.people, extension.desk)
        if request.method == "POST":
            auth.check_csrf()
        endpoint = request.endpoint or ""
        view = app.view_functions.get(endpoint)
        if view is not None and endpoint not in PUBLIC and not hasattr(view, "roles"):
            abort(403)  # a page nobody declared roles for is nobody's page

    @app.after_request
    def harden(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(HTTPException)
    def explain(error: HTTPException) -> tuple[str, int]:
        return render_template("error.html", error=error), error.code or 500

    return app


def _duration(seconds: Any) -> str:
    if seconds is None or seconds != seconds:  # None or NaN: nothing measured
        return "–"
    return format_duration(float(seconds))


def _percent(value: Any) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f}%"
