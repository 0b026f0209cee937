"""Pure Block Kit builders for the CSAT survey: customer-facing only, nothing internal."""

from handlers.blocks import Block, mrkdwn

RATE_ACTION = "csat_rate"  # action ids are csat_rate_1 .. csat_rate_5
COMMENT_ACTION = "csat_comment"
COMMENT_VIEW = "csat_comment_view"
COMMENT_BLOCK, COMMENT_INPUT = "comment", "text"
STAR = "\u2b50"
LABELS = {1: "Poor", 2: "Fair", 3: "Good", 4: "Great", 5: "Excellent"}
QUESTION = "Your request has been resolved. How would you rate the help you got?"


def survey_text() -> str:
    """Notification fallback for the survey."""
    return QUESTION


def _star_buttons(number: int, chosen: int | None) -> Block:
    buttons: list[Block] = []
    for rating in range(1, 6):
        button: Block = {
            "type": "button",
            "action_id": f"{RATE_ACTION}_{rating}",
            "text": {"type": "plain_text", "text": STAR * rating, "emoji": True},
            "value": f"{number}:{rating}",
            "accessibility_label": f"{rating} of 5: {LABELS[rating]}",
        }
        if rating == chosen:
            button["style"] = "primary"
        buttons.append(button)
    return {"type": "actions", "block_id": "csat_stars", "elements": buttons}


def survey_blocks(number: int) -> list[Block]:
    """The question with five star buttons."""
    return [
        {"type": "section", "block_id": "csat_question", "text": mrkdwn(QUESTION)},
        _star_buttons(number, None),
    ]


def thanks_text(rating: int) -> str:
    """Notification fallback once answered."""
    return f"Thanks for your feedback! You rated us {rating} out of 5."


def thanks_blocks(number: int, rating: int, *, commented: bool) -> list[Block]:
    """The survey after an answer: thanks, the stars to change one's mind, a comment button."""
    said = " and left a comment" if commented else ""
    label = "Edit your comment" if commented else "Add a comment"
    return [
        {
            "type": "section",
            "block_id": "csat_question",
            "text": mrkdwn(
                f"Thanks for your feedback! You rated us *{rating} out of 5* "
                f"({LABELS[rating]}){said}. Changed your mind? Pick another rating."
            ),
        },
        _star_buttons(number, rating),
        {
            "type": "actions",
            "block_id": "csat_more",
            "elements": [
                {
                    "type": "button",
                    "action_id": COMMENT_ACTION,
                    "text": {"type": "plain_text", "text": label},
                    "value": str(number),
                }
            ],
        },
    ]


def comment_modal(number: int, current: str | None, limit: int) -> Block:
    """The optional comment, in a modal; `private_metadata` names the ticket."""
    element: Block = {
        "type": "plain_text_input",
        "action_id": COMMENT_INPUT,
        "multiline": True,
        "max_length": limit,
        "placeholder": {"type": "plain_text", "text": "What went well, what could be better?"},
    }
    if current:
        element["initial_value"] = current
    return {
        "type": "modal",
        "callback_id": COMMENT_VIEW,
        "private_metadata": str(number),
        "title": {"type": "plain_text", "text": "Your feedback"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "label": {"type": "plain_text", "text": "Anything you would like to add?"},
                "element": element,
            }
        ],
    }
