"""The dashboard in headless chromium (Playwright, as the demo's browser test): a lead, an
agent and a customer sign in through the fake Slack's OpenID pages; the lead walks from a
chart point to the list, a filter, the CSV export and a ticket. Screenshots go to
test-artifacts/ (at 1360 and 400 px wide)."""

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AGENT, CUSTOMER, LEAD
from tests.scenarios import test_demo_browser
from tests.scenarios.test_demo_browser import ARTIFACTS, TIMEOUT_MS
from tests.support import kpi_dataset as data
from tests.support.visitor import RANGE, load_named_dataset

browser = test_demo_browser.browser  # headless chromium, as the demo's browser test has it


@pytest.fixture
def bot(start_deskbot, db, clock):
    load_named_dataset(db)
    clock.now = data.NOW
    return start_deskbot(data.CONFIG)


def open_page(browser: Any, width: int = 1360) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def sign_in(page: Any, url: str, name: str) -> None:
    """Open the dashboard, land on Slack's (the fake's) sign-in page, continue as `name`."""
    page.goto(url)
    page.get_by_role("button", name=f"Continue as {name}").click()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


def test_a_lead_goes_from_a_chart_point_to_the_ticket(browser, bot):
    from playwright.sync_api import expect

    page = open_page(browser)
    sign_in(page, f"{bot.server.url}/?range={RANGE}", "lee")
    expect(page.get_by_role("heading", name="Support overview")).to_be_visible()
    expect(page.locator('[data-key="created"] .value')).to_have_text("5")
    shot(page, "1-overview")
    # A bar of the volume chart: the tickets created on Nov 3 (Berlin).
    page.locator('svg.chart a[aria-label^="2026-11-03 · created"]').click()
    expect(page.get_by_role("heading", name="Tickets")).to_contain_text("2 found")
    expect(page.locator("table.list tbody tr")).to_have_count(2)
    shot(page, "2-list-from-chart")
    # A filter: one organization, by name.
    page.goto(f"{bot.server.url}/tickets?range={RANGE}")
    page.select_option('select[name="org"]', label="Beta GmbH")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", name="Tickets")).to_contain_text("2 found")
    # The export of exactly that list.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["number"] for row in rows) == ["3", "6"]
    assert {row["organization"] for row in rows} == {"Beta GmbH"}
    # The ticket page, reached from the list by keyboard.
    page.get_by_role("link", name="#3", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="SLA targets")).to_be_visible()
    expect(page.locator(".state.breached")).to_have_count(1)
    expect(page.locator(".stars")).to_have_text("★★☆☆☆")
    shot(page, "3-ticket")
    page.context.close()


def test_the_overview_reads_at_400_px(browser, bot):
    from playwright.sync_api import expect

    page = open_page(browser, width=400)
    sign_in(page, f"{bot.server.url}/?range={RANGE}", "lee")
    expect(page.locator('[data-key="sla_within"] .value')).to_have_text("66.7%")
    # Nothing wider than the screen: no sideways scrolling of the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    shot(page, "4-overview-400px")
    page.context.close()


def test_an_agent_sees_their_desk_and_no_sla_page(browser, bot):
    from playwright.sync_api import expect

    page = open_page(browser)
    sign_in(page, f"{bot.server.url}/?range={RANGE}", "ana")
    expect(page.get_by_role("heading", name="Your desk")).to_be_visible()
    expect(page.get_by_role("link", name="SLA", exact=True)).to_have_count(0)
    response = page.goto(f"{bot.server.url}/sla")
    assert response is not None and response.status == 403
    shot(page, "5-agent")
    page.context.close()
    assert AGENT and LEAD


def test_a_customer_is_refused(browser, bot):
    from playwright.sync_api import expect

    page = open_page(browser)
    sign_in(page, f"{bot.server.url}/", "carla")
    expect(page.get_by_role("status")).to_contain_text("no access")
    expect(page.locator("table, svg.chart")).to_have_count(0)
    response = page.goto(f"{bot.server.url}/tickets")
    assert response is not None and "/openid/connect/authorize" in page.url  # back to sign-in
    shot(page, "6-customer-refused")
    page.context.close()
    assert CUSTOMER
