"""Pure Block Kit builders for the CSAT survey: customer-facing only, nothing internal."""

from dataclasses import dataclass

from handlers.blocks import values
from handlers.blocks.cards import Block, mrkdwn

RATE_ACTION = "csat_rate"  # action ids are csat_rate_1 .. csat_rate_5
COMMENT_ACTION = "csat_comment"
COMMENT_VIEW = "csat_comment_view"
COMMENT_BLOCK, COMMENT_INPUT = "comment", "text"
STAR = "\u2b50"


@dataclass(frozen=True)
class Phrases:
    """The survey's words in one language (the customer's, as far as we can tell)."""

    question: str
    labels: tuple[str, str, str, str, str]  # 1..5 stars
    thanks: str  # {rating} {label} {said}
    said_comment: str
    add_comment: str
    edit_comment: str
    title: str
    prompt: str
    placeholder: str
    send: str
    cancel: str


PHRASES = {
    "en": Phrases(
        "Your request has been resolved. How would you rate the help you got?",
        ("Poor", "Fair", "Good", "Great", "Excellent"),
        "Thanks for your feedback! You rated us *{rating} out of 5* ({label}){said}. "
        "Changed your mind? Pick another rating.",
        " and left a comment",
        "Add a comment",
        "Edit your comment",
        "Your feedback",
        "Anything you would like to add?",
        "What went well, what could be better?",
        "Send",
        "Cancel",
    ),
    "de": Phrases(
        "Ihre Anfrage ist erledigt. Wie zufrieden sind Sie mit der Hilfe?",
        ("Schlecht", "Mäßig", "Gut", "Sehr gut", "Ausgezeichnet"),
        "Danke für Ihre Rückmeldung! Sie haben uns *{rating} von 5* gegeben ({label}){said}. "
        "Anders überlegt? Wählen Sie einfach eine andere Bewertung.",
        " und einen Kommentar hinterlassen",
        "Kommentar hinzufügen",
        "Kommentar bearbeiten",
        "Ihre Rückmeldung",
        "Möchten Sie noch etwas ergänzen?",
        "Was war gut, was können wir besser machen?",
        "Senden",
        "Abbrechen",
    ),
    "ja": Phrases(
        "お問い合わせは解決済みになりました。今回のサポートはいかがでしたか？",
        ("不満", "やや不満", "普通", "満足", "大変満足"),
        "ご回答ありがとうございます！評価：*5段階中{rating}*（{label}）{said}。"
        "評価はいつでも選び直せます。",
        "、コメントもいただきました",
        "コメントを追加",
        "コメントを編集",
        "ご意見",
        "ほかにお伝えいただきたいことはありますか？",
        "良かった点、改善してほしい点など",
        "送信",
        "キャンセル",
    ),
    "ru": Phrases(
        "Ваш запрос решён. Как вы оцениваете полученную помощь?",
        ("Плохо", "Так себе", "Хорошо", "Отлично", "Превосходно"),
        "Спасибо за отзыв! Ваша оценка: *{rating} из 5* ({label}){said}. "
        "Передумали? Просто выберите другую оценку.",
        " и комментарий",
        "Добавить комментарий",
        "Изменить комментарий",
        "Ваш отзыв",
        "Хотите что-нибудь добавить?",
        "Что было хорошо, что можно улучшить?",
        "Отправить",
        "Отмена",
    ),
}


def phrases(lang: str) -> Phrases:
    """The survey's words in a language (English when we have none)."""
    return PHRASES.get(lang, PHRASES["en"])


def survey_text(lang: str = "en") -> str:
    """Notification fallback for the survey."""
    return phrases(lang).question


def _star_buttons(number: int, chosen: int | None, words: Phrases) -> Block:
    buttons: list[Block] = []
    for rating in range(1, 6):
        button: Block = {
            "type": "button",
            "action_id": f"{RATE_ACTION}_{rating}",
            "text": {"type": "plain_text", "text": STAR * rating, "emoji": True},
            "value": values.encode(number, rating),
            "accessibility_label": f"{rating}/5: {words.labels[rating - 1]}",
        }
        if rating == chosen:
            button["style"] = "primary"
        buttons.append(button)
    return {"type": "actions", "block_id": "csat_stars", "elements": buttons}


def survey_blocks(number: int, lang: str = "en") -> list[Block]:
    """The question with five star buttons."""
    words = phrases(lang)
    return [
        {"type": "section", "block_id": "csat_question", "text": mrkdwn(words.question)},
        _star_buttons(number, None, words),
    ]


def _thanks(words: Phrases, rating: int, commented: bool) -> str:
    said = words.said_comment if commented else ""
    return words.thanks.format(rating=rating, label=words.labels[rating - 1], said=said)


def thanks_text(rating: int, lang: str = "en", *, commented: bool = False) -> str:
    """Notification fallback once answered."""
    return _thanks(phrases(lang), rating, commented).replace("*", "")


def thanks_blocks(number: int, rating: int, lang: str = "en", *, commented: bool) -> list[Block]:
    """The survey after an answer: thanks, the stars to change one's mind, a comment button."""
    words = phrases(lang)
    label = words.edit_comment if commented else words.add_comment
    return [
        {
            "type": "section",
            "block_id": "csat_question",
            "text": mrkdwn(_thanks(words, rating, commented)),
        },
        _star_buttons(number, rating, words),
        {
            "type": "actions",
            "block_id": "csat_more",
            "elements": [
                {
                    "type": "button",
                    "action_id": COMMENT_ACTION,
                    "text": {"type": "plain_text", "text": label},
                    "value": values.encode(number),
                }
            ],
        },
    ]


def comment_modal(number: int, current: str | None, limit: int, lang: str = "en") -> Block:
    """The optional comment, in a modal; `private_metadata` names the ticket."""
    words = phrases(lang)
    element: Block = {
        "type": "plain_text_input",
        "action_id": COMMENT_INPUT,
        "multiline": True,
        "max_length": limit,
        "placeholder": {"type": "plain_text", "text": words.placeholder},
    }
    if current:
        element["initial_value"] = current
    return {
        "type": "modal",
        "callback_id": COMMENT_VIEW,
        "private_metadata": values.encode(number),
        "title": {"type": "plain_text", "text": words.title},
        "submit": {"type": "plain_text", "text": words.send},
        "close": {"type": "plain_text", "text": words.cancel},
        "blocks": [
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "label": {"type": "plain_text", "text": words.prompt},
                "element": element,
            }
        ],
    }
