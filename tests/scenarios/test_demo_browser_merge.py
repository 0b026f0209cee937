"""The merged-thread path in a real browser: two customers ask the same thing, an agent
merges one ticket into the other from the likely-duplicate hint, and the customer of the
merged ticket is told where it went in customer words, with nothing dead left to press."""

from typing import Any

from bot.demo.workspace import ANA, CARLA, DIETER, HELP, TRIAGE
from tests.scenarios.test_demo_browser import browser, demo, page, shot, ticket  # noqa: F401

FIRST = "Our CSV export fails with a timeout every time"
AGAIN = f"{FIRST}, for us too"


def ask(tab: Any, expect: Any, who: str, text: str) -> Any:
    tab.select_option("#switcher", who)
    tab.locator(f"#channels [data-channel={HELP}]").click()
    tab.fill("#input", text)
    tab.press("#input", "Enter")
    question = tab.locator("#messages .msg", has_text=text)
    expect(question.locator("[data-reaction=ticket]")).to_be_visible()
    return question


def test_the_customer_of_a_merged_ticket_is_told_where_it_went(page, demo):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{demo.url}?as={CARLA}&channel={HELP}")
    ask(page, expect, CARLA, FIRST)
    question = ask(page, expect, DIETER, AGAIN)
    question.locator(".replies").click()
    thread = page.locator("#thread")
    expect(thread.get_by_role("button", name="This solved it").first).to_be_visible()

    # The agent merges the second ticket into the first from the duplicate hint.
    page.select_option("#switcher", ANA)
    page.locator(f"#channels [data-channel={TRIAGE}]").click()
    merge = page.get_by_role("button", name="Merge into #1").first
    expect(merge).to_be_visible()
    merge.click()
    card = page.locator("#messages .msg", has_text="for us too")
    expect(card).to_contain_text("Merged")
    demo.drain()
    assert ticket(demo, 2).merged_into_id == ticket(demo, 1).id
    shot(page, "merge-1-agent-merged")

    # Dieter opens his thread: where it went, in customer words; the buttons are gone.
    page.select_option("#switcher", DIETER)
    page.locator(f"#channels [data-channel={HELP}]").click()
    question = page.locator("#messages .msg", has_text="for us too")
    question.locator(".replies").click()
    thread = page.locator("#thread")
    expect(thread).to_contain_text("we continue in")
    expect(thread).to_contain_text("We're handling this in")
    expect(thread).to_contain_text("CSV export fails")  # the articles stay readable
    expect(thread.get_by_role("button", name="This solved it")).to_have_count(0)
    expect(thread.get_by_role("button", name="I still need help")).to_have_count(0)
    expect(thread).not_to_contain_text("work on")  # no agent wording in a shared channel
    shot(page, "merge-2-customer-told")
