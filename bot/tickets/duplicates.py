"""Likely duplicates: a new question close to another live ticket's, from any customer.

Five companies reporting one outage should become one known issue. When a ticket opens
(or its conversation grows), its text is compared with the live tickets opened in the
last `DUPLICATE_WINDOW` (at most `MAX_CANDIDATES`, newest first, so a scan stays
fast however old the desk is). Older ones scoring at least `MIN_SCORE` are remembered and
shown on the new ticket's triage card, each with a Merge button.

A ticket is what its conversation says: the customer's first `QUESTION_MESSAGES`
top-level messages, small talk left out ("hi" / "quick question" / "the nightly export
fails with 502" is about the export), joined. Only the first `SCAN_CHARS` characters of
either side are compared: a question says what it is about at its start, and a bound
keeps one 40,000-character message (Slack's limit) against 500 long live tickets from
holding the process for seconds.
"""

import re
from datetime import timedelta
from functools import lru_cache
from itertools import pairwise

from rapidfuzz import fuzz, process, utils
from sqlalchemy.engine import Engine

from bot.clock import Clock
from knowledge.language import is_small_talk
from store import conversations
from store.db import session_scope
from store.models import Ticket

DUPLICATE_WINDOW = timedelta(days=7)
MAX_CANDIDATES = 500
MIN_SCORE = 84.0  # mean of token-set and token-sort similarity, 0-100
SHOWN = 3
MIN_WORDS = 4  # "export fails" says too little to call anything a duplicate
MIN_CJK_CHARS = 8
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"\w{2,}")
CACHED_CANDIDATES = 2 * MAX_CANDIDATES
# About 80 words: a question's first paragraph. A scan of 500 long candidates then takes
# about 25 ms (2,000 characters took 160 ms, holding the GIL), and the cache at most
# 1,000 × 500 characters.
SCAN_CHARS = 500
QUESTION_MESSAGES = 5  # how many of a conversation's messages are read as its question


def comparable(text: str) -> str:
    """Text as the scorer sees it: words, or character bigrams for CJK (no spaces there)."""
    text = utils.default_process(text)
    if _CJK.search(text):
        chars = [c for c in text if not c.isspace()]
        return " ".join(a + b for a, b in pairwise(chars))
    return text


def is_substantial(text: str) -> bool:
    """Whether a text says enough to be compared (greetings and two-word notes do not)."""
    if len(_CJK.findall(text)) >= MIN_CJK_CHARS:
        return True
    return len(_WORD.findall(text)) >= MIN_WORDS


def scanned(text: str) -> str:
    """The part of a text the duplicate scan compares: its first `SCAN_CHARS` characters."""
    return text[:SCAN_CHARS]


def question_of(texts: list[str]) -> str:
    """What a conversation asks: its messages that are not small talk, joined, scanned.

    Each message is bounded before it is looked at, and the join stops once it has
    `SCAN_CHARS` characters, however many or long the messages are.
    """
    parts: list[str] = []
    size = 0
    for text in texts[:QUESTION_MESSAGES]:
        text = scanned(text).strip()
        if not text or is_small_talk(text):
            continue
        parts.append(text)
        size += len(text) + 1
        if size >= SCAN_CHARS:
            break
    return scanned("\n".join(parts))


@lru_cache(maxsize=CACHED_CANDIDATES)
def _cached_question(texts: tuple[str, ...]) -> str:
    # The same few hundred live conversations on every scan: small talk is told apart once.
    return question_of(list(texts))


def _candidate(text: str) -> str | None:
    """A candidate's comparable text (of its scanned part), None if it says too little."""
    return _cached_candidate(scanned(text))


@lru_cache(maxsize=CACHED_CANDIDATES)
def _cached_candidate(text: str) -> str | None:
    # Every new ticket is compared with the same few hundred live ones: preparing their
    # text once, not on every scan, is most of a scan's cost.
    return comparable(text) if is_substantial(text) else None


def similarity(a: str, b: str) -> float:
    """Word-order-free similarity that still punishes one text being a small part of the other."""
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2


def rank_duplicates(
    text: str,
    candidates: list[tuple[int, str]],
    *,
    min_score: float = MIN_SCORE,
    limit: int = SHOWN,
) -> list[tuple[int, float]]:
    """(candidate id, score) of the candidates close to `text`, best first."""
    text = scanned(text)
    if not is_substantial(text) or not candidates:
        return []
    prepared = ((key, _candidate(body)) for key, body in candidates)
    choices = {key: body for key, body in prepared if body is not None}
    query = comparable(text)
    # A mean at or above the threshold needs one of its two scores at or above it:
    # two native passes narrow the field before the mean is taken in Python.
    narrowed = {
        key: body
        for scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio)
        for body, _, key in process.extract(
            query, choices, scorer=scorer, score_cutoff=min_score, limit=None
        )
    }
    scored = [(int(key), similarity(query, body)) for key, body in narrowed.items()]
    ranked = sorted(
        ((key, score) for key, score in scored if score >= min_score),
        key=lambda item: (-item[1], item[0]),
    )
    return ranked[:limit]


class DuplicateFinder:
    """Finds, remembers and lists likely duplicates of tickets."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def scan(self, ticket: Ticket, text: str) -> int:
        """Compare a ticket's text with older live tickets; return how many matched."""
        assert ticket.id is not None
        text = scanned(text)  # a caller's text can be a whole 40,000-character message
        if not is_substantial(text):
            return 0
        with session_scope(self._engine) as session:
            older = conversations.recent_open_questions(
                session,
                workspace_id=ticket.workspace_id,
                since=ticket.created_at - DUPLICATE_WINDOW,
                before=ticket.created_at,  # only older tickets: the new one merges into them
                exclude_id=ticket.id,
                limit=MAX_CANDIDATES,
                max_chars=SCAN_CHARS,
                per_ticket=QUESTION_MESSAGES,
            )
            candidates = [(other_id, _cached_question(tuple(texts))) for other_id, texts in older]
            matches = rank_duplicates(text, candidates)
            for other_id, score in matches:
                conversations.add_duplicate(
                    session,
                    ticket_id=ticket.id,
                    duplicate_of_id=other_id,
                    score=round(score, 1),
                    at=self._clock(),
                )
        return len(matches)


def _id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id
