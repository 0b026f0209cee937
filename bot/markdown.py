"""Article Markdown as Slack mrkdwn: what suggestions and `/kb search` show of an answer.

Slack does not read Markdown: `**bold**` shows with its stars and a list flattened into
one line reads as a run-on sentence. This converts the common parts (headings, bold,
italics, strikethrough, inline code and fences, bullet and numbered lists, links, quotes)
line by line, keeping the line breaks, and escapes everything else exactly once, so an
article cannot ping a channel or disguise a link. Anything it does not know is text.
"""

import re

from bot import text

# One inline construct at a time, leftmost first; the text between them is escaped.
_INLINE = re.compile(
    r"`(?P<code>[^`]+)`"
    r"|!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]*)(?:\s+\"[^\"]*\")?\)"
    r"|\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)"
    r"|<(?P<auto>https?://[^>\s]+)>"
    r"|\*\*(?P<bold>\S(?:.*?\S)?)\*\*"
    r"|__(?P<bold2>\S(?:.*?\S)?)__"
    r"|~~(?P<strike>\S(?:.*?\S)?)~~"
    r"|(?<![\w*])\*(?P<em>[^\s*](?:[^*]*?[^\s*])?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<em2>[^\s_](?:[^_]*?[^\s_])?)_(?![\w_])"
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(?:\[( |x|X)\]\s+)?(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,9})[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_EMPHASIS = re.compile(r"\*\*|__")
# A formatting mark at a word's edge (`*bold*`, `_it_`), not inside one (snake_case).
_DELIMITER = re.compile(r"`|(?<![\w*_~])[*_~]+(?=\S)|(?<=\S)[*_~]+(?![\w*_~])")


def inline(markdown: str) -> str:
    """One line's inline Markdown as mrkdwn, its text escaped once."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(markdown):
        out.append(text.escape(markdown[position : match.start()]))
        out.append(_render(match))
        position = match.end()
    out.append(text.escape(markdown[position:]))
    return "".join(out)


def _render(match: re.Match[str]) -> str:
    found = match.groupdict()
    if found["code"] is not None:
        return f"`{text.escape(found['code'])}`"
    if found["src"] is not None:
        return text.escape(found["alt"])  # an image: its description, never the picture
    if found["url"] is not None:
        return text.link(found["url"], inline(found["label"]))
    if found["auto"] is not None:
        return text.link(found["auto"], text.escape(found["auto"]))
    if found["bold"] is not None or found["bold2"] is not None:
        return f"*{inline(found['bold'] or found['bold2'])}*"
    if found["strike"] is not None:
        return f"~{inline(found['strike'])}~"
    return f"_{inline(found['em'] or found['em2'])}_"


def to_mrkdwn(markdown: str) -> str:
    """A Markdown text as Slack mrkdwn, line breaks kept (runs of blank lines made one)."""
    lines: list[str] = []
    fenced = False
    for line in markdown.strip("\n").splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            lines.append("```")
            continue
        if fenced:
            lines.append(text.escape(line))
            continue
        converted = convert_line(line)
        if converted or (lines and lines[-1]):
            lines.append(converted)
    if fenced:
        lines.append("```")  # an unclosed fence would swallow what Slack shows after it
    return "\n".join(lines).strip("\n")


def convert_line(line: str) -> str:
    """One line outside a code fence: heading, list item, quote, rule or paragraph text."""
    if not line.strip() or _RULE.match(line):
        return ""
    if heading := _HEADING.match(line):
        # mrkdwn has no headings; bold stands in, and bold inside would close it early
        return f"*{inline(_EMPHASIS.sub('', heading.group(1)))}*"
    if bullet := _BULLET.match(line):
        indent, box, item = bullet.groups()
        mark = {None: "", " ": "☐ "}.get(box, "☑ ")
        return f"{_indent(indent)}• {mark}{inline(item)}"
    if numbered := _NUMBERED.match(line):
        indent, number, item = numbered.groups()
        return f"{_indent(indent)}{number}. {inline(item)}"
    if quote := _QUOTE.match(line):
        # `>` at a line's start is mrkdwn's own quote; the rest is escaped as usual
        return f">{inline(quote.group(1))}" if quote.group(1) else ">"
    return inline(line.strip())


def _indent(spaces: str) -> str:
    return "    " * (len(spaces.expandtabs(4)) // 2)


def excerpt(markdown: str, limit: int) -> str:
    """The start of a Markdown text as mrkdwn: whole lines while they fit in `limit`
    characters of text, else the first line cut short as plain text ("…" where cut).
    """
    kept: list[str] = []
    used = 0
    for line in to_mrkdwn(markdown).splitlines():
        size = len(line) + 1
        if kept and used + size > limit:
            while not kept[-1]:
                kept.pop()  # a paragraph break before "…" says nothing
            kept.append("…")
            break
        if not kept and size > limit:
            return _cut(line, limit)
        kept.append(line)
        used += size
    return "\n".join(kept).rstrip()


def _cut(mrkdwn_line: str, limit: int) -> str:
    """A line too long to show whole, as plain escaped text: a cut through `<url|` or
    `*bold` would break what follows, so the markup goes and the words stay.
    """
    plain = re.sub(r"<[^|<>]*\|([^<>]*)>", r"\1", mrkdwn_line)
    plain = _DELIMITER.sub("", plain)
    if len(plain) <= limit:
        return plain
    cut = plain[: limit - 1]
    cut = cut[: cut.rfind(" ")] if " " in cut[limit // 2 :] else cut
    # never end inside an entity (`&am…`)
    cut = re.sub(r"&[a-z]*$", "", cut)
    return cut.rstrip() + "…"
