"""Text hygiene shared by intake and rendering."""

import re

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
SUBJECT_LIMIT = 200
# A link in Slack's markup: `<url>` or `<url|label>` (what Slack makes of a typed URL).
_AUTO_LINK = re.compile(r"<((?:https?://|mailto:)[^|<>\s]+)(?:\|([^<>]*))?>", re.IGNORECASE)


def storable(text: str) -> str:
    """Replace the only characters PostgreSQL text cannot hold (NUL, lone surrogates)."""
    return _UNSTORABLE.sub("\ufffd", text)


def subject_from(text: str, files: list[dict[str, object]] | None = None) -> str:
    """A one-line subject for a ticket: the first non-empty line, shortened."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= SUBJECT_LIMIT else line[: SUBJECT_LIMIT - 1] + "…"
    if files:
        names = ", ".join(str(file.get("name") or file.get("id") or "file") for file in files)
        return f"(file: {names})"[:SUBJECT_LIMIT]
    return "(no text)"


def from_slack(text: str) -> str:
    """Message text as the customer typed it: Slack's three entities unescaped, once.

    Slack sends a typed `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`, and nothing else
    as an entity; `&amp;` goes last, so a typed `&lt;` (sent as `&amp;lt;`) stays `&lt;`.
    A link Slack made of a typed URL or address (`<https://x>`, `<http://x.io|x.io>`,
    `<mailto:a@b.io|a@b.io>`) becomes what was typed. Other markup (`<@U123>`,
    `<!here>`, a labelled link) is kept: whatever renders customer text escapes it, so
    it shows as text and never pings.
    """
    return _entities(_AUTO_LINK.sub(_typed_link, text))


def _typed_link(match: re.Match[str]) -> str:
    url, label = match.group(1), match.group(2)
    if label is None:
        return url
    bare = re.sub(r"^(?:https?://|mailto:)", "", url, flags=re.IGNORECASE).rstrip("/")
    if label in (url, bare) or label.rstrip("/") == bare:
        return label
    return match.group(0)


def _entities(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters.

    Customer text goes through this wherever Slack renders it, notification `text`
    included: `<!channel>`, `<@U…>` and `<https://…|label>` in a question must reach the
    team as the characters the customer typed, never as a ping or a disguised link.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str | None, label: str) -> str:
    """`<url|label>` for an http(s) URL; the label alone for anything else.

    `label` must already be escaped. A `|` or `>` in the URL would end the link early
    and let the rest pose as its label, so they are percent-encoded.
    """
    if not url or not re.fullmatch(r"https?://\S+", url, re.IGNORECASE):
        return label
    safe = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe}|{label}>"


def plural(count: int, word: str, words: str | None = None) -> str:
    """`1 customer`, `2 customers`: the count with the word in the right number."""
    return f"{count} {word if count == 1 else (words or word + 's')}"
