"""`deskbot demo --scenario day`: a scripted support day on the demo's accelerated clock.

The day is a list of steps, each a small function run at a time of day; the clock jumps
to that time, the step acts through the workspace's people (signed events, commands and
button presses, as Slack sends them) and waits until the bot has finished. Everything the
bot posted meanwhile goes into the transcript. The day itself is bot/demo/day.py.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from bot.demo.workspace import HELP, TRIAGE, Demo
from fakeslack.humans import Target
from fakeslack.payloads import iter_elements
from fakeslack.state import ts_to_micros
from store.models import Ticket

Out = Callable[[str], None]
_MENTION = re.compile(r"<([^<>]+)>")


@dataclass(frozen=True)
class Step:
    """One moment of the day: when (HH:MM), what, and the function that acts it out."""

    at: str
    title: str
    run: Callable[["Day"], None]


@dataclass
class Day:
    """The scenario's state: the running demo, what was asked, and the transcript."""

    demo: Demo
    out: Out | None = None
    transcript: list[str] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)  # question label -> root ts
    skipped: list[str] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)  # step results later steps read
    _seen: set[tuple[str, str, str]] = field(default_factory=set)

    # --- narration -------------------------------------------------------------------

    def say(self, line: str) -> None:
        """Add a line to the transcript (and print it as it happens)."""
        self.transcript.append(line)
        if self.out is not None:
            self.out(line)

    def clock_label(self) -> str:
        return self.demo.clock().strftime("%H:%M")

    def name(self, user_id: str) -> str:
        with self.demo.fake.workspace.lock:
            return str(self.demo.fake.workspace.users[user_id]["real_name"])

    def report_new_posts(self) -> None:
        """Narrate what the bot posted (messages and ephemerals) since the last look."""
        ws = self.demo.fake.workspace
        fresh: list[tuple[int, str]] = []
        with ws.lock:
            for channel, messages in ws.messages.items():
                for message in messages.values():
                    key = (channel, message["ts"], "")
                    if message.get("bot_id") and key not in self._seen:
                        self._seen.add(key)
                        fresh.append((_micros(message["ts"]), self._describe(channel, message)))
            for eph in ws.ephemerals:
                key = (eph["channel"], eph["ts"], eph["user"])
                if key not in self._seen:
                    self._seen.add(key)
                    who = str(ws.users.get(eph["user"], {}).get("real_name", eph["user"]))
                    where = self._where(eph["channel"])
                    text = self.plain(eph.get("text", ""))
                    sections = [b for b in eph.get("blocks") or [] if b.get("type") == "section"]
                    if sections and "text" in sections[0]:  # e.g. "5 articles": show the top
                        text += " — " + self.plain(sections[0]["text"].get("text", ""))
                    fresh.append((_micros(eph["ts"]), f"   (only {who} sees, {where}) {text}"))
        for _, line in sorted(fresh):
            self.say(line)

    def _where(self, channel: str) -> str:
        info = self.demo.fake.workspace.channels[channel]
        return f"DM {info.get('user')}" if info["is_im"] else f"#{info['name']}"

    def _describe(self, channel: str, message: dict[str, Any]) -> str:
        thread = " (thread)" if message.get("thread_ts") not in (None, message["ts"]) else ""
        where = self._where(channel)
        if where.startswith("DM "):
            where = "DM to " + self.name(where[3:])
        return f"   deskbot → {where}{thread}: {self.plain(message.get('text', ''))}"

    def plain(self, text: str) -> str:
        """Slack text for a terminal: names for mentions, one line (two for SLA digests)."""
        ws = self.demo.fake.workspace

        def name(match: re.Match[str]) -> str:
            ref = match.group(1)
            if ref[0] == "@":
                return "@" + str(ws.users.get(ref[1:], {}).get("real_name", ref[1:]))
            if ref[0] == "#":
                return "#" + str(ws.channels.get(ref[1:], {}).get("name", ref[1:]))
            return ref.rpartition("|")[2] or ref

        lines = [_MENTION.sub(name, line) for line in text.strip().splitlines() if line.strip()]
        shown = " / ".join(lines[:3] if text.startswith("*SLA") else lines[:1])
        return shown if len(shown) <= 160 else shown[:159] + "…"

    def status(self, label: str) -> None:
        """Narrate a ticket's state and assignee."""
        ticket = self.ticket(label)
        if ticket is None:
            return
        who = f", assigned to {self.name(ticket.assignee_id)}" if ticket.assignee_id else ""
        self.say(f"   #{ticket.number} is {ticket.status}{who}")

    # --- acting ----------------------------------------------------------------------

    def settle(self) -> None:
        """Wait for the bot to finish, then narrate its posts."""
        self.demo.drain()
        self.report_new_posts()

    def ask(self, label: str, user: str, text: str) -> Ticket | None:
        """A customer asks in the shared help channel; returns the ticket it became."""
        self.say(f"{self.clock_label()} {self.name(user)} in #help-acme: {text}")
        self.roots[label] = self.demo.humans.post(user, HELP, text)["ts"]
        self.settle()
        ticket = self.ticket(label)
        if ticket is not None:
            self.say(f"   → ticket #{ticket.number}")
        return ticket

    def reply(self, label: str, user: str, text: str) -> None:
        """Someone writes in a ticket's thread."""
        self.say(f"{self.clock_label()} {self.name(user)} in the thread: {text}")
        self.demo.humans.post(user, HELP, text, self.roots[label])
        self.settle()

    def ticket(self, label: str) -> Ticket | None:
        """The ticket a question became (fresh from the database)."""
        workflow = self.demo.runtime.deps.workflow
        return workflow.ticket_of_message(channel_id=HELP, ts=self.roots[label])

    def number(self, label: str) -> int:
        ticket = self.ticket(label)
        if ticket is None:
            raise RuntimeError(f"question {label!r} did not become a ticket")
        return ticket.number

    def press_in_thread(self, label: str, user: str, action_id: str) -> bool:
        """Press the first `action_id` button the bot posted in a question's thread."""
        ws = self.demo.fake.workspace
        with ws.lock:
            thread = [m for m in ws.thread(HELP, self.roots[label]) if m.get("bot_id")]
        for message in thread:
            found = find_action(message, lambda element: element.get("action_id") == action_id)
            if found is not None:
                block_id, element = found
                label_text = element.get("text", {}).get("text", action_id)
                self.say(f"{self.clock_label()} {self.name(user)} presses “{label_text}”")
                self.demo.humans.press(
                    user,
                    Target(channel=HELP, ts=message["ts"]),
                    block_id=block_id,
                    action_id=action_id,
                    value=element.get("value"),
                )
                self.settle()
                return True
        self.say(f"   (no “{action_id}” button in the thread)")
        return False

    def press_on_card(self, label: str, user: str, action_id: str) -> None:
        """Press a button on a ticket's triage card."""
        number = self.number(label)
        ws = self.demo.fake.workspace
        with ws.lock:
            cards = [
                m
                for m in ws.bot_messages(TRIAGE)
                if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]
            ]
        for card in cards:
            if card.get("text", "").startswith(f"Ticket #{number} "):
                found = find_action(card, lambda element: element.get("action_id") == action_id)
                if found is None:
                    break
                block_id, element = found
                self.say(
                    f"{self.clock_label()} {self.name(user)} presses "
                    f"“{element['text']['text']}” on #{number}'s card in #support-triage"
                )
                self.demo.humans.press(
                    user,
                    Target(channel=TRIAGE, ts=card["ts"]),
                    block_id=block_id,
                    action_id=action_id,
                    value=element.get("value"),
                )
                self.settle()
                return
        raise RuntimeError(f"no {action_id} button on the card of #{number}")

    def command(self, user: str, channel: str, line: str) -> list[dict[str, Any]]:
        """Run a slash command; returns everything only the user was shown (the ack and
        any answers the app sent later to the command's response_url)."""
        ws = self.demo.fake.workspace
        where = ws.channels[channel]["name"]
        self.say(f"{self.clock_label()} {self.name(user)} in #{where}: {line}")
        with ws.lock:
            before = len(ws.ephemerals)
        self.demo.humans.command(user, channel, line)
        self.settle()
        with ws.lock:
            return [
                dict(e)
                for e in ws.ephemerals[before:]
                if e["user"] == user and e["channel"] == channel
            ]

    def sweep(self) -> None:
        """Run the SLA sweep at the current demo time."""
        report = self.demo.sweep()
        self.say(f"{self.clock_label()} SLA sweep: {report.planned} due, {report.sent} sent")
        self.settle()


def find_action(
    holder: dict[str, Any], match: Callable[[dict[str, Any]], bool]
) -> tuple[str, dict[str, Any]] | None:
    """(block_id, element) of the first interactive element in a message that matches."""
    return next(
        (found for found in iter_elements(holder.get("blocks") or []) if match(found[1])), None
    )


def _micros(ts: str) -> int:
    return ts_to_micros(ts) or 0


def play_day(demo: Demo, *, out: Out | None = None, steps: list[Step] | None = None) -> Day:
    """Play the day's steps on the demo's clock (jumping forward to each step's time)."""
    from bot.demo.day import STEPS

    day = Day(demo=demo, out=out)
    start_of_day = demo.clock()
    for step in steps or STEPS:
        hour, minute = (int(part) for part in step.at.split(":"))
        moment = datetime.combine(start_of_day.date(), time(hour, minute), start_of_day.tzinfo)
        if moment > demo.clock():
            demo.clock.advance(moment - demo.clock())
        day.say(f"\n== {step.at} {step.title}")
        step.run(day)
    return day
