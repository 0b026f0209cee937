"""`/kpi`: numbers for leads (team-wide) and agents (their own); charts and CSV exports."""

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.deps import Deps
from bot.kpi.service import KpiError, KpiQuery, KpiService
from bot.text import from_slack
from handlers.blocks.kpi import report_blocks, report_text
from handlers.kpi.commands import USAGE, KpiRequest, KpiUsageError, parse_kpi_command
from handlers.kpi.files import deliver_chart, deliver_export
from handlers.slack.gates import bind, staff_only

logger = logging.getLogger(__name__)

COMMANDS = ("/kpi",)
API_METHODS = ("conversations.open", "files.getUploadURLExternal", "files.completeUploadExternal")
NOT_STAFF = "`/kpi` is for the support team. If you need help, ask in a support channel."
LEADS_ONLY = "Charts and exports show team-wide numbers, so they are for leads."
AGENT_NOTE = "Only leads see team-wide numbers; these are yours."


def register(app: App, deps: Deps) -> None:
    """The `/kpi` command."""
    app.command("/kpi", middleware=[staff_only(deps, NOT_STAFF)])(bind(on_kpi, deps))


def on_kpi(deps: Deps, ack: Ack, command: dict[str, Any], respond: Respond) -> None:
    """`/kpi [metric] [range] [by dim]`, `chart ...`, `export ...` (staff only, by the gate)."""
    service = deps.kpi
    user_id = command["user_id"]
    is_lead = deps.people.is_lead(user_id)
    try:
        request = parse_kpi_command(from_slack(command.get("text") or ""))
        if request.kind == "help":
            ack(text=USAGE)
            return
        query = service.query(
            "summary" if request.kind != "report" else request.metric,
            request.range_text,
            request.by,
        )
    except (KpiUsageError, KpiError) as error:
        ack(text=f"{error}\n\n{USAGE}")
        return
    if request.kind != "report" and not is_lead:
        ack(text=LEADS_ONLY)
        return
    ack()  # the numbers come right after, so a large database never misses Slack's 3 s
    _answer(service, deps, request, query, user_id, is_lead, respond)


def _answer(
    service: KpiService,
    deps: Deps,
    request: KpiRequest,
    query: KpiQuery,
    user_id: str,
    is_lead: bool,
    respond: Respond,
) -> None:
    if request.kind in ("chart", "export"):
        if request.kind == "chart":
            sent = deliver_chart(service, deps.guard, request.metric, query.range, user_id)
            what = f"Your {request.metric} chart"
        else:
            sent = deliver_export(service, deps.guard, query.range, user_id)
            what = "Your CSV export"
        text = f"{what} is in your DMs with me." if sent else "I could not send it to you."
        respond(text=text, response_type="ephemeral")
        return
    report = service.report(query, agent_id=None if is_lead else user_id)
    blocks = report_blocks(report)
    if not is_lead:
        blocks.insert(1, {"type": "context", "elements": [{"type": "mrkdwn", "text": AGENT_NOTE}]})
    respond(text=report_text(report), blocks=blocks, response_type="ephemeral")
