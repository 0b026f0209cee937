"""The demo in a real headless browser (Debian's chromium driven by Playwright): people use
the page as they would Slack, and the real bot answers.

Skipped only when chromium or Playwright cannot be had on this machine; under CI (CI set)
their absence fails the run, since .ci/run installs both.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.demo.workspace import (
    ANA,
    BEN,
    BOT_TOKEN,
    CARLA,
    DIETER,
    HELP,
    LEADS,
    LEE,
    TRIAGE,
    Demo,
    start_demo,
)
from store.models import CsatSurvey

CHROMIUM = os.environ.get("DESKBOT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 10_000


def _playwright() -> Any:
    """The Playwright module, or a skip (a failure under CI) saying what is missing."""
    reason = None
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        reason = f"no chromium at {CHROMIUM}: apt-get install -y chromium"
    try:
        from playwright import sync_api
    except ImportError:
        reason = "Playwright is not installed: pip install -e '.[test]'"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)
    return sync_api


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = _playwright()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def demo(db: Engine) -> Iterator[Demo]:
    running = start_demo(
        port=0,
        speed=0,
        start=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        database_url=db.url.render_as_string(hide_password=False),
    )
    yield running
    running.stop()
    assert running.fake.errors == [], f"invalid Slack API usage: {running.fake.errors}"


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    context.close()
    assert problems == [], f"errors in the page: {problems}"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"demo-{name}.png"))


def ticket(demo: Demo, number: int) -> Any:
    deps = demo.app.runtime.deps
    return deps.workflow.find(workspace_id=deps.people.identity.workspace_id, number=number)


# --- the journey: each step is one person doing one thing on the page ---------------------


def customer_asks_and_still_needs_help(page: Any, demo: Demo, expect: Callable) -> None:
    page.goto(f"{demo.url}?as={CARLA}&channel={HELP}")
    # Demo time (frozen in tests: speed 0) is shown, since SLA clocks run on it.
    expect(page.locator("#clock")).to_contain_text("Nov 23 09:00")
    sidebar = page.locator("#channels")
    expect(sidebar).to_contain_text("help-acme")
    # A customer from another organization sees only the channel shared with it.
    expect(sidebar).not_to_contain_text("support-triage")
    page.fill("#input", "Our CSV export fails with a timeout every time")
    page.press("#input", "Enter")
    question = page.locator("#messages .msg", has_text="Our CSV export fails")
    expect(question.locator("[data-reaction=ticket]")).to_be_visible()
    question.locator(".replies").click()
    thread = page.locator("#thread")
    expect(thread).to_contain_text("these articles might help")
    expect(thread).to_contain_text("CSV export fails or the file is empty")
    expect(thread.get_by_role("button", name="This solved it")).to_be_visible()
    shot(page, "1-customer-sees-suggestion")
    thread.get_by_role("button", name="I still need help").click()
    expect(thread).to_contain_text("A teammate will be with you shortly")
    expect(thread.get_by_role("button", name="I still need help")).to_have_count(0)
    shot(page, "2-customer-still-needs-help")
    assert ticket(demo, 1).status == "new"


def agent_claims_from_triage(page: Any, demo: Demo, expect: Callable) -> None:
    page.select_option("#switcher", ANA)
    page.locator(f"#channels [data-channel={TRIAGE}]").click()
    card = page.locator("#messages .msg", has_text="Our CSV export fails")
    expect(card).to_contain_text("Organization")
    card.get_by_role("button", name="Claim").click()
    expect(card).to_contain_text("Assigned to @Ana Silva")
    expect(card.get_by_role("button", name="Claim")).to_have_count(0)
    assert ticket(demo, 1).assignee_id == ANA
    # The card's thread says the customer still needed help.
    card.locator(".replies").click()
    expect(page.locator("#thread")).to_contain_text("still needs help after suggestions")
    # A slash command's answer is ephemeral: only the agent who ran it sees it.
    page.locator("#input").press_sequentially("/ti")
    expect(page.locator("#suggest")).to_contain_text("/ticket")
    page.fill("#input", "/ticket show #1")
    page.press("#input", "Enter")
    answer = page.locator("#messages .msg.ephemeral")
    expect(answer).to_contain_text("Only visible to you")
    expect(answer).to_contain_text("Activity")
    shot(page, "3-agent-claimed")
    page.select_option("#switcher", LEE)
    expect(page.locator("#me")).to_contain_text("Lee Park")
    expect(page.locator("#messages .msg.ephemeral")).to_have_count(0)
    # Priority from the card's select menu (a static_select block action).
    card.locator("select[data-action=ticket_priority]").select_option("1:high")
    expect(card.locator(".field", has_text="Priority")).to_contain_text("high")
    assert ticket(demo, 1).priority == "high"


def agent_claims_with_a_reaction(page: Any, demo: Demo, expect: Callable) -> None:
    # Another customer: Carla's next message this soon would join her ticket (grouping).
    page.select_option("#switcher", DIETER)
    page.fill("#input", "Webhooks stopped arriving this morning")
    page.press("#input", "Enter")
    question = page.locator("#messages .msg", has_text="Webhooks stopped arriving")
    expect(question.locator("[data-reaction=ticket]")).to_be_visible()
    page.select_option("#switcher", BEN)
    question.hover()
    question.locator("[data-react=eyes]").click()
    expect(question.locator("[data-reaction=eyes]")).to_contain_text("1")
    demo.drain()
    assert ticket(demo, 2).assignee_id == BEN


def agent_gets_an_sla_warning_in_a_dm(page: Any, demo: Demo, expect: Callable) -> None:
    demo.clock.advance(timedelta(minutes=12))  # 75% of the 15-minute first response target
    demo.sweep()
    page.select_option("#switcher", ANA)
    page.locator("#apps [data-app=bot]").click()
    page.locator("#tabs [data-tab=messages]").click()
    messages = page.locator("#messages")
    expect(messages).to_contain_text("SLA: 1 ticket needs attention")
    expect(messages).to_contain_text("first response due in 3m")
    expect(messages).to_contain_text("Sending messages to this app has been turned off")
    expect(page.locator("#composer")).to_be_hidden()


def agent_home_lists_the_queue(page: Any, demo: Demo, expect: Callable) -> None:
    page.select_option("#switcher", ANA)
    page.locator("#apps [data-app=bot]").click()
    page.locator("#tabs [data-tab=home]").click()
    home = page.locator("#messages .home")
    expect(home).to_contain_text("Mine (1)")
    expect(home).to_contain_text("Our CSV export fails")
    shot(page, "4-agent-home")
    # Buttons in App Home act too (a block action from a view), and the tab refreshes.
    home.get_by_role("button", name="Resolve").first.click()
    expect(home).to_contain_text("Mine (0)")
    assert ticket(demo, 1).status == "resolved"


def customer_comments_on_the_survey(page: Any, demo: Demo, expect: Callable) -> None:
    page.select_option("#switcher", CARLA)
    page.locator(f"#channels [data-channel={HELP}]").click()
    page.locator("#messages .msg", has_text="Our CSV export fails").locator(".replies").click()
    thread = page.locator("#thread")
    expect(thread).to_contain_text("How would you rate the help you got?")
    thread.locator("[data-action=csat_rate_4]").click()
    expect(thread).to_contain_text("4 out of 5")
    thread.get_by_role("button", name="Add a comment").click()
    # The app opened a modal with views.open: the page shows it over the channel.
    modal = page.get_by_role("dialog", name="Your feedback")
    expect(modal).to_contain_text("Anything you would like to add?")
    modal.locator("textarea").fill("Quick & kind, thanks Ana!")
    shot(page, "4b-survey-comment-modal")
    modal.get_by_role("button", name="Send").click()
    expect(modal).to_have_count(0)
    expect(thread).to_contain_text("and left a comment")
    with Session(demo.engine) as session:
        survey = session.exec(select(CsatSurvey)).one()
    assert (survey.rating, survey.comment) == (4, "Quick & kind, thanks Ana!")


def lead_reads_the_numbers(page: Any, demo: Demo, expect: Callable) -> None:
    page.select_option("#switcher", LEE)
    page.locator(f"#channels [data-channel={LEADS}]").click()
    page.fill("#input", "/kpi")
    page.press("#input", "Enter")
    card = page.locator("#messages .msg.ephemeral")
    expect(card).to_contain_text("Only visible to you")
    expect(card).to_contain_text("Tickets created")
    expect(card.locator(".field", has_text="Tickets created")).to_contain_text("2")
    expect(card.locator(".field", has_text="Tickets resolved")).to_contain_text("1")
    shot(page, "5-lead-kpis")
    # A chart arrives in the lead's messages with the app, as an image.
    page.fill("#input", "/kpi chart volume 7d")
    page.press("#input", "Enter")
    demo.drain()
    page.locator("#apps [data-app=bot]").click()
    page.locator("#tabs [data-tab=messages]").click()
    chart = page.locator("#messages figure img").first
    expect(chart).to_be_visible()
    expect(page.locator("#messages figure")).to_contain_text("volume · last 7 days")
    # The PNG itself arrived: the browser decoded an image of real size.
    page.wait_for_function("document.querySelector('#messages figure img').naturalWidth > 100")
    shot(page, "6-lead-chart")


JOURNEY = [
    customer_asks_and_still_needs_help,
    agent_claims_from_triage,
    agent_claims_with_a_reaction,
    agent_gets_an_sla_warning_in_a_dm,
    agent_home_lists_the_queue,
    customer_comments_on_the_survey,
    lead_reads_the_numbers,
]


def test_customer_asks_agent_claims_in_the_browser(page, demo):
    from playwright.sync_api import expect

    for step in JOURNEY:
        step(page, demo, expect)


# A 2x2 PNG, so images render offline.
PIXELS = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8"
    "z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


def test_block_kit_and_file_shares_render_like_slack(page, demo):
    from playwright.sync_api import expect

    client = WebClient(token=BOT_TOKEN, base_url=demo.fake.api_url)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Weekly report"}},
        {"type": "divider"},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Bold* and _italic_ for <@UANA> :tada:"},
            "fields": [{"type": "mrkdwn", "text": "*Tickets*\n12"}],
            "accessory": {
                "type": "button",
                "action_id": "noop",
                "text": {"type": "plain_text", "text": "Details"},
            },
        },
        {
            "type": "image",
            "image_url": PIXELS,
            "alt_text": "a chart",
            "title": {"type": "plain_text", "text": "Volume"},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "updated hourly"}]},
    ]
    client.chat_postMessage(channel=LEADS, text="Weekly report", blocks=blocks)
    with demo.fake.workspace.lock:  # a file share, as an upload leaves it in the channel
        demo.fake.workspace.store_message(
            LEADS,
            {
                "type": "message",
                "subtype": "file_share",
                "user": LEE,
                "text": "",
                "ts": demo.fake.next_ts(),
                "files": [
                    {
                        "id": "F1",
                        "title": "volume.png",
                        "mimetype": "image/png",
                        "url_private": PIXELS,
                    }
                ],
            },
        )
    demo.fake.touch()
    page.goto(f"{demo.url}?as={LEE}&channel={LEADS}")
    report = page.locator("#messages .msg", has_text="Weekly report")
    expect(report.locator(".block.bk-header")).to_have_text("Weekly report")
    expect(report.locator("hr.block.divider")).to_have_count(1)
    expect(report.locator(".section-body > .text b")).to_have_text("Bold")
    expect(report.locator(".section-body > .text i")).to_have_text("italic")
    expect(report.locator(".mention")).to_have_text("@Ana Silva")
    expect(report.locator(".section")).to_contain_text("🎉")
    expect(report.locator(".fields")).to_contain_text("Tickets")
    expect(report.get_by_role("button", name="Details")).to_be_visible()
    expect(report.locator(".block.image img")).to_have_attribute("alt", "a chart")
    expect(report.locator(".block.context")).to_have_text("updated hourly")
    shared = page.locator("#messages .msg .files img")
    expect(shared).to_have_attribute("alt", "volume.png")
    assert shared.evaluate("img => img.naturalWidth") == 2
    shot(page, "5-block-kit")


def test_the_page_works_at_1400_and_400_px_with_hints_and_the_claim_shortcut(browser, demo):
    from playwright.sync_api import expect

    for width in (1400, 400):
        context = browser.new_context(viewport={"width": width, "height": 820})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{demo.url}?as={ANA}&channel={HELP}")
        # An empty channel says who to act as and what to type.
        hint = page.locator("[data-hint=empty]")
        expect(hint).to_contain_text("Act as a customer (Carla Jones)")
        # Each person is a plain name in the "Acting as" select, grouped by role: no truncation.
        switcher = page.locator("#switcher")
        assert switcher.evaluate("s => s.scrollWidth <= s.clientWidth + 1")
        expect(switcher.locator("optgroup[label='Customers · Acme Corp'] option")).to_have_count(3)
        sidebar = page.locator(".sidebar")
        if width == 400:  # the sidebar is a drawer behind the menu button
            assert sidebar.bounding_box()["x"] + sidebar.bounding_box()["width"] <= 0
            shot(page, "7-narrow-400px")
            page.locator("#menu").click()
            page.wait_for_function(
                "document.querySelector('.sidebar').getBoundingClientRect().x >= 0"
            )
            expect(page.locator(f"#channels [data-channel={TRIAGE}]")).to_be_in_viewport()
            shot(page, "7-narrow-400px-sidebar")
            page.locator(f"#channels [data-channel={HELP}]").click()
            assert page.evaluate("document.documentElement.scrollWidth") <= 400
        else:
            expect(sidebar).to_be_in_viewport()
            expect(page.locator("#menu")).to_be_hidden()
            shot(page, "7-wide-1400px")
        context.close()
    # A message's "More actions" menu offers the app's message shortcuts: Claim ticket.
    demo.humans.post(CARLA, HELP, "Billing page shows the wrong plan")
    demo.drain()
    context = browser.new_context(viewport={"width": 1400, "height": 820})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{demo.url}?as={BEN}&channel={HELP}")
    question = page.locator("#messages .msg", has_text="Billing page shows")
    question.hover()
    with page.expect_response("**/client/shortcut") as answered:
        question.locator("select[data-shortcuts]").select_option("claim_ticket")
    assert answered.value.json() == {"ok": True, "status": 200}
    demo.drain()
    assert ticket(demo, 1).assignee_id == BEN
    context.close()
