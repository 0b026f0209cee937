"""Sign in with Slack, the callback, and signing out: the dashboard's only public pages."""

import logging

from flask import Response, redirect, render_template, request, session, url_for

from bot.dashboard import auth
from bot.dashboard.context import blueprint, desk

logger = logging.getLogger(__name__)


def redirect_uri() -> str:
    """The callback URL registered in the Slack app (DESKBOT_PUBLIC_URL, else this host)."""
    base = desk().settings.deskbot_public_url or request.host_url
    return base.rstrip("/") + auth.CALLBACK_PATH


@blueprint.get("/login")
def login() -> Response:
    """Send the browser to Slack's sign-in page (back to `next` afterwards)."""
    here = desk()
    after = auth.safe_next(request.args.get("next"))
    return auth.begin(
        here.sign_in, redirect_uri=redirect_uri(), team=here.workspace_id, after=after
    )


@blueprint.get(auth.CALLBACK_PATH)
def callback() -> Response | tuple[str, int]:
    """Slack sent the browser back: check it, find out who it is, decide what they see."""
    here = desk()
    try:
        claims, after = auth.finish(here.sign_in, redirect_uri=redirect_uri())
    except auth.SignInError as error:
        session.clear()
        return render_template("refused.html", reason=str(error), retry=True), 400
    user_id = str(claims.get(auth.USER_ID) or claims.get("sub") or "")
    team_id = str(claims.get(auth.TEAM_ID) or "")
    role = auth.role_of(here.people, here.desk, user_id=user_id, team_id=team_id)
    if not user_id or role is None:
        session.clear()
        logger.info("dashboard: refused %s of %s (not on the support team)", user_id, team_id)
        reason = "This dashboard is for the support team; your Slack account has no access to it."
        return render_template("refused.html", reason=reason, retry=False), 403
    auth.start_session(user_id=user_id, team_id=team_id, name=str(claims.get("name") or user_id))
    logger.info("dashboard: %s signed in as %s", user_id, role)
    return redirect(auth.safe_next(after))


@blueprint.post("/logout")
def logout() -> Response:
    """Forget the session (the CSRF token was checked before this runs)."""
    session.clear()
    return redirect(url_for("dashboard.signed_out"))


@blueprint.get("/signed-out")
def signed_out() -> str:
    """Where signing out lands."""
    return render_template("refused.html", reason="You are signed out.", retry=True)
