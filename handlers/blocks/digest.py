"""Pure Block Kit builders for the leads' daily digest."""

from bot.daily_digest import DayBreaches, DigestReport
from handlers.blocks.cards import Block, mrkdwn

BAR = "█"
BAR_WIDTH = 12


def digest_text(report: DigestReport) -> str:
    """The notification fallback: one line with the headline numbers."""
    return (
        f"Support digest for {report.day:%a %d %b}: {report.created} new, "
        f"{report.resolved} resolved, {report.open_now} open; first responses "
        f"{report.first_inside} in SLA, {report.first_outside} late"
    )


def digest_blocks(report: DigestReport) -> list[Block]:
    """Header, the day's numbers, and a week of breaches as a small bar table."""
    return [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"Support digest · {report.day:%a %d %b %Y}"},
        },
        {"type": "section", "fields": _day_fields(report)},
        {"type": "section", "text": mrkdwn(_week_table(report.week))},
        {
            "type": "context",
            "elements": [
                mrkdwn(
                    "A breach counts on the day its target was due "
                    f"({report.timezone}); `/ticket list breaching` shows what is open now."
                )
            ],
        },
    ]


def _day_fields(report: DigestReport) -> list[Block]:
    answered = report.first_inside + report.first_outside
    share = f" ({100 * report.first_inside // answered}%)" if answered else ""
    return [
        mrkdwn(f"*New tickets*\n{report.created}"),
        mrkdwn(f"*Resolved*\n{report.resolved}"),
        mrkdwn(f"*Open now*\n{report.open_now}"),
        mrkdwn(f"*First responses in SLA*\n{report.first_inside} of {answered}{share}"),
        mrkdwn(f"*First responses late*\n{report.first_outside}"),
    ]


def bar(count: int, most: int) -> str:
    """A bar scaled to the week's largest count (at least one block for any breach)."""
    if count <= 0 or most <= 0:
        return ""
    return BAR * max(1, round(BAR_WIDTH * count / most))


def _week_table(week: list[DayBreaches]) -> str:
    most = max([d.first_response for d in week] + [d.resolution for d in week] + [0])
    lines = [f"{'Due on':<10} {'1st response':<18} {'Resolution'}"]
    for day in week:
        first = f"{day.first_response:>3} {bar(day.first_response, most)}"
        resolution = f"{day.resolution:>3} {bar(day.resolution, most)}"
        lines.append(f"{day.day:%a %d %b} {first:<18} {resolution:<18}".rstrip())
    total_first = sum(d.first_response for d in week)
    total_resolution = sum(d.resolution for d in week)
    lines.append(f"{'7 days':<10} {total_first:>3}{'':<15} {total_resolution:>3}")
    return "*Breaches in the last 7 days*\n```" + "\n".join(lines) + "```"
