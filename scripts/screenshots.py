"""Take the README's screenshots from the demo, so they always show the product as it is.

    python scripts/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]

It starts the demo on a fresh database, plays the scripted support day (`deskbot demo
--scenario day`), then opens the demo page in headless chromium (Playwright, never a
downloaded browser) as a customer, an agent and a lead and saves what each sees, and the
web dashboard's overview the lead opens from the page. Needs the
test extras (`pip install -e '.[test]'`) and Debian's chromium; emoji and CJK text need
fonts-noto-color-emoji and fonts-noto-cjk to draw.
"""

import argparse
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from bot.demo.scenario import play_day  # noqa: E402
from bot.demo.workspace import ANA, HELP, LEADS, LEE, TRIAGE, YUKI, demo_morning, start_demo  # noqa: E402

# A Monday, so the day's business hours are all there; the pictures never change by date.
DAY = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000
SHOTS = ("triage-cards", "customer-thread", "kpi-card", "kpi-chart", "overview")


def take(
    out: Path, *, chromium: str = "/usr/bin/chromium", say: Callable[[str], None] = print
) -> list[Path]:
    """Play the day in a fresh demo and save the screenshots in `out`; the files written."""
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="deskbot-shots-") as folder:
        demo = start_demo(
            port=0,
            speed=0,
            start=demo_morning(DAY, minutes_before=1),
            database_url=f"sqlite:///{Path(folder) / 'demo.db'}",
        )
        try:
            say("playing the demo's support day…")
            play_day(demo)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, headless=True)
                page = browser.new_page(viewport=VIEWPORT)
                page.set_default_timeout(TIMEOUT_MS)
                written = [
                    shoot(page, expect, demo, out, name, step)
                    for name, step in zip(SHOTS, STEPS, strict=True)
                ]
                browser.close()
        finally:
            demo.stop()
    for path in written:
        say(f"  {path}")
    return written


def shoot(page: Any, expect: Any, demo: Any, out: Path, name: str, step: Callable) -> Path:
    """One screenshot: the step brings the page to what it shows (or returns the PNG
    itself, as for a chart, which is best shown at the size deskbot drew it)."""
    drawn = step(page, expect, demo)
    path = out / f"{name}.png"
    if drawn is not None:
        path.write_bytes(drawn)
    else:
        page.screenshot(path=str(path))
    return path


def triage_cards(page: Any, expect: Any, demo: Any) -> None:
    """An agent's view of #support-triage: cards in every state of the day."""
    demo.sweep()  # the day ends at 17:00: targets that passed since show on the cards
    demo.drain()
    page.goto(f"{demo.url}?as={ANA}&channel={TRIAGE}")
    expect(page.locator("#messages .msg").first).to_contain_text("Organization")
    # From the invoice question (waiting on the customer) to the overdue webhooks one.
    card = page.locator("#messages .msg", has_text="charged twice").filter(has_text="Organization")
    card.first.evaluate("node => node.scrollIntoView({block: 'start'})")


def customer_thread(page: Any, expect: Any, demo: Any) -> None:
    """A customer's question in the shared channel, the suggestion, the answer, the survey."""
    page.goto(f"{demo.url}?as={YUKI}&channel={HELP}")
    question = page.locator("#messages .msg", has_text="Okta").first
    question.locator(".replies").click()
    expect(page.locator("#thread")).to_contain_text("deskbot")


def kpi_card(page: Any, expect: Any, demo: Any) -> None:
    """A lead asks `/kpi today` in #support-leads: only they see the answer."""
    page.goto(f"{demo.url}?as={LEE}&channel={LEADS}")
    page.fill("#input", "/kpi today")
    page.press("#input", "Enter")
    expect(page.locator("#messages .msg.ephemeral")).to_contain_text("Tickets created")


def kpi_chart(page: Any, expect: Any, demo: Any) -> bytes:
    """`/kpi chart volume 7d`: the chart arrives in the lead's messages with the app; the
    PNG deskbot uploaded is the picture."""
    page.fill("#input", "/kpi chart volume 7d")
    page.press("#input", "Enter")
    demo.drain()
    page.locator("#apps [data-app=bot]").click()
    page.locator("#tabs [data-tab=messages]").click()
    expect(page.locator("#messages figure img").first).to_be_visible()
    page.wait_for_function(
        "[...document.querySelectorAll('#messages figure img')].every(i => i.naturalWidth > 100)"
    )
    # The page's own address for the file (relative, or a data: URL).
    source = page.locator("#messages figure img").last.evaluate("img => img.src")
    return page.request.get(source).body()


def overview(page: Any, expect: Any, demo: Any) -> None:
    """The web dashboard's overview of the day, as Lee (the lead) opens it from the
    workspace page's link and signs in with Slack (the workspace's sign-in page)."""
    page.goto(f"{demo.url}?as={LEE}&channel={LEADS}")
    link = page.locator("#dashboard")
    expect(link).to_be_visible()
    page.goto(link.get_attribute("href") + "?range=today")
    page.locator("#people button.me").click()  # Lee, who was acting on the workspace page
    expect(page.locator('[data-key="created"] .value')).not_to_have_text("0")


STEPS = (triage_cards, customer_thread, kpi_card, kpi_chart, overview)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    take(args.out, chromium=args.chromium)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
