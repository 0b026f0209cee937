"""Text hygiene shared by intake and rendering."""

import re

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
SUBJECT_LIMIT = 200


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
