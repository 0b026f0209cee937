"""The support day `deskbot demo --scenario day` plays: one small function per step.

A step for a feature this build lacks (CSAT surveys, `/kpi`) says so and moves on; to
show a new feature, write a function and add a Step to STEPS.
"""

from datetime import timedelta

from bot.demo.scenario import Day, Step, find_action
from bot.demo.workspace import ANA, BEN, CARLA, DIETER, HELP, LEADS, LEE, TRIAGE, YUKI
from fakeslack.humans import Target


def carla_exports(day: Day) -> None:
    day.ask("csv", CARLA, "Our CSV export fails with a timeout every time since this morning")
    day.demo.clock.advance(timedelta(minutes=2))
    day.press_in_thread("csv", CARLA, "kb_solved")


def dieter_password(day: Day) -> None:
    day.ask("password", DIETER, "Ich habe mein Passwort vergessen, wie kann ich es zurücksetzen?")
    day.demo.clock.advance(timedelta(minutes=1))
    day.press_in_thread("password", DIETER, "kb_solved")


def yuki_sso(day: Day) -> None:
    day.ask("sso", YUKI, "Oktaでサインインした後、またサインイン画面が表示されます。")
    day.demo.clock.advance(timedelta(minutes=2))
    day.press_in_thread("sso", YUKI, "kb_need_help")


def ana_claims_sso(day: Day) -> None:
    day.press_on_card("sso", ANA, "ticket_claim")
    day.status("sso")


def ana_answers_sso(day: Day) -> None:
    day.reply(
        "sso",
        ANA,
        "Thanks Yuki! Your IdP certificate was rotated yesterday. Could you upload the new "
        "one under Settings → Security → Single sign-on? I'll stay on this thread.",
    )


def carla_invoice(day: Day) -> None:
    day.ask("invoice", CARLA, "We were charged twice on our last invoice, can you refund one?")
    day.demo.clock.advance(timedelta(minutes=1))
    number = day.number("invoice")
    day.say(f"{day.clock_label()} Ben reacts :eyes: on #{number} to claim it")
    day.demo.humans.react(BEN, HELP, day.roots["invoice"], "eyes")
    day.settle()
    day.status("invoice")


def ben_sets_pending(day: Day) -> None:
    day.reply("invoice", BEN, "Sorry about that! Could you send me the invoice number?")
    day.command(BEN, TRIAGE, f"/ticket pending #{day.number('invoice')}")
    day.status("invoice")


def dieter_webhooks(day: Day) -> None:
    day.ask("webhooks", DIETER, "Unsere Webhooks kommen seit heute Morgen nicht mehr an")


def ana_searches_the_kb(day: Day) -> None:
    day.command(ANA, TRIAGE, "/kb search webhook signature fails")


def sla_sweep(day: Day) -> None:
    day.sweep()


def ana_resolves_sso(day: Day) -> None:
    day.reply("sso", YUKI, "新しい証明書をアップロードしたら、ログインできました！")
    day.command(ANA, TRIAGE, f"/ticket resolve #{day.number('sso')} new IdP certificate")


def csat_answers(day: Day) -> None:
    """If the build asks for CSAT on resolve, Yuki gives the best rating offered."""
    ws = day.demo.fake.workspace
    with ws.lock:
        candidates = [
            (channel, message)
            for channel, messages in ws.messages.items()
            for message in messages.values()
            if message.get("bot_id")
            and find_action(message, lambda e: "csat" in str(e.get("action_id", ""))) is not None
        ]
    if not candidates:
        day.skipped.append("csat")
        day.say("   (this build asks no CSAT survey: step skipped)")
        return
    channel, message = candidates[-1]
    found = find_action(message, lambda e: "csat" in str(e.get("action_id", "")))
    assert found is not None
    block_id, element = found
    value = element.get("value")
    options = element.get("options") or []
    if options:  # a select: choose the last (best) option
        value = options[-1]["value"]
    else:  # buttons: the last one in the block is the best rating
        block = next(b for b in message["blocks"] if b.get("block_id", "") == block_id)
        element = [e for e in block.get("elements", []) if "action_id" in e][-1]
        value = element.get("value")
    day.say(f"{day.clock_label()} Yuki answers the CSAT survey ({value})")
    day.demo.humans.press(
        YUKI,
        Target(channel=channel, ts=message["ts"]),
        block_id=block_id,
        action_id=element["action_id"],
        value=value,
    )
    day.settle()
    day.answers["csat"] = value


def lead_checks_kpis(day: Day) -> None:
    """If the build has `/kpi`, Lee asks for the day's numbers in the leads channel."""
    if "/kpi" not in day.demo.humans.commands:
        day.skipped.append("kpi")
        day.say("   (this build has no /kpi: step skipped)")
        return
    day.answers["kpi"] = day.command(LEE, LEADS, "/kpi today")


STEPS: list[Step] = [
    Step("09:00", "Carla asks in English; an article solves it", carla_exports),
    Step("09:10", "Dieter asks in German; an article solves it", dieter_password),
    Step("09:20", "Yuki asks in Japanese; the article is not enough", yuki_sso),
    Step("09:24", "Ana claims Yuki's ticket from the triage card", ana_claims_sso),
    Step("09:26", "Ana answers in the thread", ana_answers_sso),
    Step("09:40", "Carla reports a double charge; Ben claims it with :eyes:", carla_invoice),
    Step("09:45", "Ben asks for the invoice number; the ticket waits on Carla", ben_sets_pending),
    Step("10:00", "Dieter's webhooks stopped; nobody picks it up", dieter_webhooks),
    Step("10:05", "Ana searches the knowledge base", ana_searches_the_kb),
    Step("10:12", "The SLA sweep warns: a first response is due soon", sla_sweep),
    Step("10:16", "The SLA sweep alerts the leads: first response breached", sla_sweep),
    Step("10:20", "Yuki confirms the fix; Ana resolves the ticket", ana_resolves_sso),
    Step("10:25", "CSAT: Yuki rates the help", csat_answers),
    Step("17:00", "Lee looks at the day's numbers", lead_checks_kpis),
]
