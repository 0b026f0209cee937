"""Pure text helpers: what intake undoes of Slack's escaping, and article Markdown as mrkdwn."""

import pytest

from bot.markdown import excerpt, to_mrkdwn
from bot.text import from_slack


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("P&amp;L", "P&L"),
        ("x &gt; 5 and y &lt; 3", "x > 5 and y < 3"),
        ("&amp;lt; is how HTML writes &lt;", "&lt; is how HTML writes <"),
        ("see <https://x.example/?a=1&amp;b=2>", "see https://x.example/?a=1&b=2"),
        ("<http://example.com|example.com>", "example.com"),
        ("<mailto:ana@example.com|ana@example.com>", "ana@example.com"),
        ("<https://evil.example|click>", "<https://evil.example|click>"),
        ("<@U123> <!here> <#C1|general>", "<@U123> <!here> <#C1|general>"),
    ],
)
def test_from_slack_undoes_what_slack_did_to_typed_text(sent, typed):
    assert from_slack(sent) == typed


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**Bold** and __also__", "*Bold* and *also*"),
        ("*italic* and _this_, not snake_case", "_italic_ and _this_, not snake_case"),
        ("~~gone~~ `a < b` here", "~gone~ `a &lt; b` here"),
        ("## Export limits", "*Export limits*"),
        ("# **Loud** heading #", "*Loud heading*"),
        ("- one\n- two\n* three\n+ four", "• one\n• two\n• three\n• four"),
        ("- top\n  - nested", "• top\n    • nested"),
        ("1. first\n2) second", "1. first\n2. second"),
        ("- [ ] todo\n- [x] done", "• ☐ todo\n• ☑ done"),
        ("See [a](https://x.example/?b=1&c=2).", "See <https://x.example/?b=1&amp;c=2|a>."),
        ("[**bold** link](https://x.example)", "<https://x.example|*bold* link>"),
        ("[not a link](javascript:alert(1))", "not a link)"),
        ("<https://x.example/y>", "<https://x.example/y|https://x.example/y>"),
        ("![diagram](https://x.example/d.png)", "diagram"),
        ("> quoted **words**", ">quoted *words*"),
        ("Q&A: x > 5 <!here> <@U1>", "Q&amp;A: x &gt; 5 &lt;!here&gt; &lt;@U1&gt;"),
        ("one\n\n\n\ntwo\n---\nthree", "one\n\ntwo\n\nthree"),
        ("```\n**not bold** <x>\n```", "```\n**not bold** &lt;x&gt;\n```"),
        ("```\nunclosed", "```\nunclosed\n```"),
        ("2 * 3 * 4 = 24", "2 * 3 * 4 = 24"),
    ],
)  # fmt: skip
def test_markdown_becomes_mrkdwn(markdown, expected):
    assert to_mrkdwn(markdown) == expected


def test_excerpt_keeps_whole_lines_while_they_fit():
    body = "## Exports\nExports run in the background.\n\n- **CSV**: up to 50,000 rows\n- PDF\n"
    assert (
        excerpt(body, 300)
        == "*Exports*\nExports run in the background.\n\n• *CSV*: up to 50,000 rows\n• PDF"
    )
    assert excerpt(body, 50) == "*Exports*\nExports run in the background.\n…"


def test_excerpt_cuts_a_long_first_line_as_plain_text_never_inside_markup():
    body = "A **very** long [first line](https://x.example/" + "a" * 80 + ") " + "word " * 80
    cut = excerpt(body, 100)
    assert len(cut) <= 100 and cut.endswith("…")
    assert cut.startswith("A very long first line word")
    assert "<" not in cut and "*" not in cut
    assert not excerpt("&" * 300, 20).rstrip("…").endswith(("&am", "&a", "&"))
