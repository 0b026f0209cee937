"""The README and docs/ link to each other: every relative link names a file that exists
and, with a #fragment, a heading that file has (a moved section breaks a test, not a reader)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for a page's headings."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"#+ (.*)", line):
            slug = re.sub(r"[^\w\- ]", "", match.group(1).lower()).strip().replace(" ", "-")
            found.add(slug)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        missing_heading = bool(fragment) and linked.suffix == ".md"
        if not linked.exists() or (missing_heading and fragment not in anchors(linked)):
            broken.append(target)
    assert broken == [], f"{page.name}: broken links {broken}"


def test_the_readme_is_for_people_and_short():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme) < 6000, "the README's top is for people: move details into docs/"
    assert "deskbot demo" in readme and 'pip install -e ".[test]" && pytest' in readme
