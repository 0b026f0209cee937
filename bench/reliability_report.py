"""What the reliability run reports: expected, stored or sent, duplicated and lost, and how
delivery went."""

import re

from sqlalchemy import create_engine, text

from bench.reliability_load import Conversation, Sender
from bench.reliability_rig import TRIAGE

SLA_SECONDS = 30
CARD = re.compile(r"^Ticket #(\d+) ")
ALERT_LINE = re.compile(r"^\*#(\d+)\* :(rotating_light|hourglass|fire):")


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of the values fall (0 for none)."""
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)] if ordered else 0.0


def told_claimed(answers: list[str]) -> bool:
    """Whether an agent was answered that the claim worked (not an error they could see)."""
    return any(answer.startswith("200 ") and "you claimed" in answer.lower() for answer in answers)


def count(
    database_url: str,
    conversations: list[Conversation],
    sender: Sender,
    posts: list[tuple[str, str]],
) -> list[tuple[str, int, int, int, int]]:
    """Rows of (what, expected, stored or sent, duplicated, lost)."""
    engine = create_engine(database_url)
    acked = sender.acked
    with engine.connect() as db:
        tickets = dict(
            db.execute(text("SELECT root_ts, count(*) FROM ticket GROUP BY root_ts")).all()
        )
        messages = dict(db.execute(text("SELECT ts, count(*) FROM message GROUP BY ts")).all())
        texts = dict(db.execute(text("SELECT ts, text FROM message")).all())
        deleted = {
            row[0]
            for row in db.execute(text("SELECT ts FROM message WHERE deleted_at IS NOT NULL"))
        }
        numbers = dict(db.execute(text("SELECT number, root_ts FROM ticket")).all())
        assignees = dict(db.execute(text("SELECT number, assignee_id FROM ticket")).all())
        late = {
            row[0]
            for row in db.execute(text("SELECT number, created_at, first_response_at FROM ticket"))
            if row[2] is None or (row[2] - row[1]).total_seconds() > SLA_SECONDS
        }
        # Long digests list 40 tickets and summarise the rest, so what was delivered is
        # read from the outbox (marked sent only after Slack took the digest).
        delivered = {
            row[0]
            for row in db.execute(
                text(
                    "SELECT t.number FROM sla_notification n JOIN ticket t ON t.id = n.ticket_id"
                    " WHERE n.target = 'first_response' AND n.level = 'breach'"
                    " AND n.status = 'sent'"
                )
            )
        }
    engine.dispose()
    roots = {c.root_ts for c in conversations if c.root_ts in acked}
    all_ts = {ts for c in conversations for ts in c.texts if ts in acked}
    edits = [c for c in conversations if c.edited_text and f"edit:{c.index}" in acked]
    deletes = [ts for c in conversations for ts in c.deleted if f"delete:{c.index}" in acked]
    claims = [(number, answers) for number, answers in sender.delivery.claims]
    cards: dict[int, int] = {}
    sender.cards = cards
    alerts: dict[tuple[int, str], int] = {}
    for channel, body in posts:
        card = CARD.match(body)
        if channel == TRIAGE and card:
            cards[int(card.group(1))] = cards.get(int(card.group(1)), 0) + 1
        for line in body.splitlines():
            alert = ALERT_LINE.match(line)
            if alert:
                key = (int(alert.group(1)), alert.group(2))
                alerts[key] = alerts.get(key, 0) + 1
    return [
        (
            "tickets",
            len(roots),
            len(roots & tickets.keys()),
            sum(n - 1 for n in tickets.values()),
            len(roots - tickets.keys()),
        ),
        (
            "messages",
            len(all_ts),
            len(all_ts & messages.keys()),
            sum(n - 1 for n in messages.values()),
            len(all_ts - messages.keys()),
        ),
        (
            "edits applied",
            len(edits),
            sum(texts.get(c.root_ts) == c.edited_text for c in edits),
            0,
            sum(texts.get(c.root_ts) != c.edited_text for c in edits),
        ),
        (
            "deletes applied",
            len(deletes),
            len(set(deletes) & deleted),
            0,
            len(set(deletes) - deleted),
        ),
        (
            "racing claims: one winner",
            len(claims),
            sum(assignees.get(number) is not None for number, _ in claims),
            0,
            sum(
                assignees.get(number) is None and told_claimed(answers)
                for number, answers in claims
            ),
        ),
        (
            "triage cards",
            len(numbers),
            len(cards),
            sum(n - 1 for n in cards.values()),
            len(numbers.keys() - cards.keys()),
        ),
        (
            "SLA breach alerts (first response)",
            len(late),
            len(delivered & late),
            sum(n - 1 for (_, kind), n in alerts.items() if kind == "rotating_light"),
            len(late - delivered),
        ),
        (
            "SLA notifications, all levels",
            len(alerts),
            len(alerts),
            sum(n - 1 for n in alerts.values()),
            0,
        ),
    ]


def print_table(
    args, rows, sender: Sender, log: list[str], fault_counts: dict[int, int], sent_in: float
) -> None:
    """The result table and the run's facts."""
    delivery = sender.delivery
    print()
    print("| what | expected | stored / sent | duplicated | lost |")
    print("|---|---:|---:|---:|---:|")
    for what, expected, got, duplicated, lost in rows:
        print(f"| {what} | {expected} | {got} | {duplicated} | {lost} |")
    print()
    print(
        f"- {args.replicas} replicas, {delivery.sent} events in {sent_in:.0f} s "
        f"({delivery.sent / sent_in:.0f}/s); {delivery.redelivered} redelivered to another "
        f"replica; {delivery.retried} retried after a non-200 answer; "
        f"{delivery.undeliverable} never answered 200 after 8 attempts"
    )
    print(f"- answers: {dict(sorted(delivery.statuses.items()))}")
    print(
        f"- ack latency (200s): p50 {percentile(delivery.latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(delivery.latencies, 0.99) * 1000:.1f} ms, "
        f"max {max(delivery.latencies, default=0) * 1000:.0f} ms"
    )
    names = {0: "dropped connection", 429: "429", 500: "500"}
    print(
        "- Slack calls failed by the fake: "
        + ", ".join(f"{names.get(k, k)}: {v}" for k, v in sorted(fault_counts.items()))
    )
    for line in log:
        print(f"- {line}")
    if twice := [number for number, posted in sender.cards.items() if posted > 1]:
        print(f"- triage cards posted more than once: {sorted(twice)[:20]}")
