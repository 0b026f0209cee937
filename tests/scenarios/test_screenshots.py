"""The README's screenshots are taken by scripts/screenshots.py from the demo: the script
must keep working, or the pictures go stale. It runs here into a temporary folder."""

import runpy
import struct
from pathlib import Path

from tests.scenarios.test_demo_browser import CHROMIUM, _playwright

ROOT = Path(__file__).resolve().parents[2]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_the_screenshot_script_takes_every_picture_the_readme_shows(tmp_path):
    _playwright()  # skipped (failed under CI) without chromium and Playwright
    script = runpy.run_path(str(ROOT / "scripts" / "screenshots.py"))
    written = script["take"](tmp_path, chromium=CHROMIUM, say=lambda _line: None)
    assert script["SHOTS"] == (
        "triage-cards", "customer-thread", "kpi-card", "kpi-chart", "overview",
    )  # fmt: skip
    assert [path.name for path in written] == [f"{name}.png" for name in script["SHOTS"]]
    for path in written:
        width, height = png_size(path)
        assert width >= 600 and height >= 300, f"{path.name} is {width}x{height}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in script["SHOTS"]:
        assert f"docs/images/{name}.png" in readme, f"the README does not show {name}.png"
        assert (ROOT / "docs" / "images" / f"{name}.png").is_file()
