"""Pure text helpers: what intake undoes of Slack's escaping, and article Markdown as mrkdwn."""

import pytest

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
