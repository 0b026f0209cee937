"""Pure Block Kit builders for self-service suggestions, `/kb search` and `/kb gaps`."""

from bot import markdown, text
from bot.suggestions import GapGroup
from handlers.blocks import values
from handlers.blocks.cards import Block, escape, mrkdwn
from knowledge.matcher import Match

PHRASES = {
    "en": (
        "While we look at your question, these articles might help:",
        "This solved it",
        "I still need help",
        "Glad that helped! I've marked your question as solved. "
        "Just write here if anything else comes up.",
        "Thanks for letting us know. A teammate will be with you shortly.",
    ),
    "de": (
        "Während wir uns Ihre Frage ansehen, helfen vielleicht diese Artikel:",
        "Das hat geholfen",
        "Ich brauche noch Hilfe",
        "Schön, dass es geholfen hat! Ihre Frage ist als gelöst markiert. "
        "Schreiben Sie einfach hier, falls noch etwas ist.",
        "Danke für die Rückmeldung. Jemand aus dem Team meldet sich gleich.",
    ),
    "ja": (
        "確認している間に、こちらの記事がお役に立つかもしれません：",
        "解決しました",
        "まだ助けが必要です",
        "お役に立ててよかったです。解決済みにしました。"
        "ほかにご不明点があれば、こちらに書き込んでください。",
        "ありがとうございます。担当者がまもなく対応します。",
    ),
    "ru": (
        "Пока мы разбираемся с вашим вопросом, возможно, помогут эти статьи:",
        "Это помогло",
        "Мне всё ещё нужна помощь",
        "Рады, что помогло! Вопрос отмечен как решённый. Пишите сюда, если что-то ещё.",
        "Спасибо! Специалист скоро подключится.",
    ),
}
# Under the articles once an agent resolved the ticket: the buttons are gone.
ANSWERED = {
    "en": "A teammate answered this question in the thread.",
    "de": "Jemand aus dem Team hat diese Frage im Thread beantwortet.",
    "ja": "このご質問にはスレッドで担当者が回答しました。",
    "ru": "Специалист ответил на этот вопрос в ветке.",
}
SNIPPET = 300  # characters of an article shown under its title, whole lines first
SEARCH_SNIPPET = 160
MAX_BLOCKS = 50  # Slack's limit of blocks in one message


def phrases(lang: str) -> tuple[str, str, str, str, str]:
    """The customer-facing phrases in a language (English when we have none)."""
    return PHRASES.get(lang, PHRASES["en"])


def _title(match: Match) -> str:
    # An article's url is linked only when it is http(s), and encoded so it cannot
    # smuggle a second link or a mention into what the customer sees.
    return text.link(match.article.url, escape(match.article.title))


def _snippet(match: Match, limit: int = SNIPPET) -> str:
    # Articles are Markdown; Slack shows mrkdwn (bold, lists and links differ).
    return markdown.excerpt(match.article.body, limit)


def suggestion_blocks(number: int, matches: list[Match], lang: str) -> list[Block]:
    """Articles for a new ticket, each with "This solved it", then "I still need help"."""
    intro, solved, need_help, _, _ = phrases(lang)
    blocks: list[Block] = [{"type": "section", "text": mrkdwn(intro)}]
    for index, match in enumerate(matches):
        blocks.append(
            {
                "type": "section",
                "block_id": f"article-{index}",
                "text": mrkdwn(f"*{_title(match)}*\n{_snippet(match)}"),
            }
        )
        blocks.append(
            {
                "type": "actions",
                "block_id": f"solved-{index}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "kb_solved",
                        "style": "primary",
                        "text": {"type": "plain_text", "text": solved},
                        "value": values.encode(number, match.article.id, sep="|"),
                    }
                ],
            }
        )
    blocks.append(
        {
            "type": "actions",
            "block_id": "need-help",
            "elements": [
                {
                    "type": "button",
                    "action_id": "kb_need_help",
                    "text": {"type": "plain_text", "text": need_help},
                    "value": values.encode(number),
                }
            ],
        }
    )
    return blocks


def suggestion_answered_blocks(matches_text: str, lang: str, *, solved: bool) -> list[Block]:
    """The suggestion after the customer answered: no more buttons, a thank-you."""
    _, _, _, thanks_solved, thanks_help = phrases(lang)
    return [
        {"type": "section", "text": mrkdwn(matches_text[:2900] or " ")},
        {"type": "context", "elements": [mrkdwn(thanks_solved if solved else thanks_help)]},
    ]


def answered_elsewhere(lang: str) -> str:
    """Why a resolved ticket's suggestion has no buttons, in the customer's language."""
    return ANSWERED.get(lang, ANSWERED["en"])


def article_list_text(matches: list[Match]) -> str:
    """The suggested articles as plain lines (kept when the buttons go)."""
    return "\n".join(f"• {_title(match)}" for match in matches)


def answered_list_text(titles: list[str]) -> str:
    """The suggested articles' titles, escaped, once the customer answered."""
    return "\n".join(f"• {escape(title)}" for title in titles)


def search_results_blocks(query: str, matches: list[Match]) -> list[Block]:
    """`/kb search`: ranked articles with scores and ids (for `/ticket answer`)."""
    if not matches:
        return [{"type": "section", "text": mrkdwn(f"No article matches _{escape(query[:200])}_.")}]
    return [
        {
            "type": "section",
            "text": mrkdwn(
                f"`{match.score:5.1f}` *{_title(match)}* · `{escape(match.article.id)}` "
                f"({match.article.lang})\n{_snippet(match, SEARCH_SNIPPET)}"[:2900]
            ),
        }
        for match in matches[:MAX_BLOCKS]
    ]


def gaps_blocks(
    label: str,
    groups: list[GapGroup],
    *,
    shown: int = 10,
    clustered: int | None = None,
    total: int | None = None,
    total_text: str | None = None,
) -> list[Block]:
    """`/kb gaps`: the questions nothing answered, biggest groups first."""
    if not groups:
        return [{"type": "section", "text": mrkdwn(f"No unanswered questions in *{label}*.")}]
    blocks: list[Block] = [
        {
            "type": "section",
            "text": mrkdwn(
                f"*Articles to write next* ({label}): questions with no suggestion or "
                '"I still need help", grouped by similarity'
            ),
        }
    ]
    for group in groups[:shown]:
        tickets = ", ".join(f"#{n}" for n in group.tickets[:10])
        blocks.append(
            {
                "type": "section",
                "text": mrkdwn(
                    f"*{len(group.questions)}× · {text.plural(group.customers, 'customer')} · "
                    f"{text.plural(group.organizations, 'organization')}* — "
                    f"_{escape(group.sample[:300])}_\n{tickets}"
                ),
            }
        )
    if len(groups) > shown:
        blocks.append(
            {"type": "context", "elements": [mrkdwn(f"…and {len(groups) - shown} smaller groups")]}
        )
    if clustered is not None and total is not None and total > clustered:
        of = total_text or f"{total:,}"
        note = f"Grouped the newest {clustered:,} of {of} questions (narrow the range)."
        blocks.append({"type": "context", "elements": [mrkdwn(note)]})
    return blocks
