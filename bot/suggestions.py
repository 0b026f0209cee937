"""Self-service: suggesting articles for new tickets, recording answers, learning, gaps.

The matching itself lives in `knowledge/`; this service ties it to tickets: one
suggestion per ticket, the customer's answer, the examples learned from resolutions, and
the questions nothing answered (the articles to write next).
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

import numpy
from rapidfuzz import fuzz, process
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.clock import Clock
from bot.config import Suggestions
from bot.tickets.workflow import WorkflowError
from knowledge.library import KnowledgeBase
from knowledge.matcher import Match, detect_language, is_small_talk, suggest
from store import messages, suggestions
from store.db import is_unique_violation, read_scope, session_scope
from store.models import Suggestion, SuggestionOutcome, Ticket

logger = logging.getLogger(__name__)

GAP_SIMILARITY = 60  # token-set similarity (0-100) above which two questions are one topic
# `/kb gaps` compares every question with every other: 1,000 questions (the newest) of 300
# characters each keep that to a million short comparisons, about a second, where 8,000
# unbounded ones took 35-103 s. A topic worth an article shows up among the newest 1,000.
MAX_GAP_QUESTIONS = 1000
# How far `/kb gaps` counts the questions it did not group ("10,000+" beyond): a year of a
# busy desk holds hundreds of thousands, and counting them all costs more than the rest.
GAP_COUNT_CAP = 10_000
# Articles are matched on a question's first 2,000 characters: its start says what it is
# about, and a 40,000-character message then costs the matcher what a short one does.
MATCHED_CHARS = 2000
GAP_TEXT_CHARS = 300
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Offer:
    """What to show a customer for their new ticket."""

    matches: list[Match]
    outcome: SuggestionOutcome


@dataclass(frozen=True)
class GapGroup:
    """Similar unanswered questions: one article to write."""

    sample: str
    questions: list[str]
    tickets: list[int]
    customers: int
    organizations: int


@dataclass(frozen=True)
class Gaps:
    """The answer to `/kb gaps`: its groups, and how many questions there were in all."""

    groups: list[GapGroup] = field(default_factory=list)
    clustered: int = 0
    total: int = 0  # counted up to GAP_COUNT_CAP

    @property
    def total_text(self) -> str:
        """How many questions, as people read it: "10,000+" past the cap."""
        return f"{GAP_COUNT_CAP:,}+" if self.total > GAP_COUNT_CAP else f"{self.total:,}"


class SuggestionService:
    """Suggests articles once per ticket and learns from what solved tickets."""

    def __init__(
        self, engine: Engine, knowledge: KnowledgeBase, clock: Clock, settings: Suggestions
    ) -> None:
        self._engine = engine
        self._knowledge = knowledge
        self._clock = clock
        self._settings = settings

    @property
    def knowledge(self) -> KnowledgeBase:
        """The knowledge base suggestions come from."""
        return self._knowledge

    def load_examples(self) -> None:
        """Give the matcher every example learned so far (at start and after learning)."""
        with session_scope(self._engine) as session:
            examples = suggestions.examples_by_article(session)
        self._knowledge.set_examples(examples)

    def search(self, text: str, *, limit: int | None = None) -> list[Match]:
        """Rank articles for an agent's search (no small-talk filter, no threshold)."""
        return self._knowledge.matcher().search(text, limit=limit or max(self._settings.max, 5))

    def offer(self, ticket: Ticket, question: str) -> Offer | None:
        """Pick articles for a new ticket and record the offer; None if already offered."""
        assert ticket.id is not None
        if self._settings.max == 0:
            return None
        small_talk = is_small_talk(question[:MATCHED_CHARS])
        matches = (
            []
            if small_talk
            else suggest(
                self._knowledge.matcher(),
                question[:MATCHED_CHARS],
                max_results=self._settings.max,
                min_score=self._settings.min_score,
            )
        )
        outcome = (
            SuggestionOutcome.SKIPPED
            if small_talk
            else SuggestionOutcome.OFFERED
            if matches
            else SuggestionOutcome.NONE
        )
        record = Suggestion(
            ticket_id=ticket.id,
            question=question[:4000],
            lang=detect_language(question),
            article_ids=[match.article.id for match in matches],
            top_score=matches[0].score if matches else None,
            outcome=str(outcome),
            offered_at=self._clock(),
        )
        try:
            with session_scope(self._engine) as session:
                suggestions.add_suggestion(session, suggestion=record)
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            return None  # another delivery of the same ticket already offered
        return Offer(matches, outcome)

    def offer_again(self, ticket: Ticket, question: str) -> Offer | None:
        """A grouped conversation grew: offer articles now if the first message showed none.

        The customer still sees at most one suggestion per ticket.
        """
        assert ticket.id is not None
        if self._settings.max == 0 or is_small_talk(question):
            return None
        with session_scope(self._engine) as session:
            current = suggestions.suggestion_for(session, ticket_id=ticket.id)
        if current is None or current.outcome not in (
            SuggestionOutcome.NONE,
            SuggestionOutcome.SKIPPED,
        ):
            return None  # already shown (or never asked): nothing more to say
        matches = suggest(
            self._knowledge.matcher(),
            question[:MATCHED_CHARS],
            max_results=self._settings.max,
            min_score=self._settings.min_score,
        )
        if not matches:
            return None
        with session_scope(self._engine) as session:
            changed = suggestions.reoffer_suggestion(
                session,
                ticket_id=ticket.id,
                question=question[:4000],
                lang=detect_language(question),
                article_ids=[match.article.id for match in matches],
                top_score=matches[0].score,
                at=self._clock(),
            )
        return Offer(matches, SuggestionOutcome.OFFERED) if changed else None

    def attach_message(self, *, ticket_id: int, channel_id: str, ts: str) -> None:
        """Remember where the suggestion was posted."""
        with session_scope(self._engine) as session:
            suggestions.set_suggestion_message(
                session, ticket_id=ticket_id, channel_id=channel_id, ts=ts
            )

    def posted_offer(self, *, ticket_id: int) -> Suggestion | None:
        """The ticket's suggestion while its buttons are still up (posted, not answered)."""
        with session_scope(self._engine) as session:
            suggestion = suggestions.suggestion_for(session, ticket_id=ticket_id)
        if suggestion is None or suggestion.message_ts is None or suggestion.channel_id is None:
            return None
        return suggestion if suggestion.outcome == SuggestionOutcome.OFFERED else None

    def decide(
        self, *, ticket: Ticket, solved: bool, article_id: str | None, decided_by: str
    ) -> Suggestion:
        """Record "This solved it" or "I still need help" (learning is `learn_self_served`)."""
        assert ticket.id is not None
        outcome = SuggestionOutcome.SOLVED if solved else SuggestionOutcome.NEED_HELP
        now = self._clock()
        with session_scope(self._engine) as session:
            suggestion = suggestions.suggestion_for(session, ticket_id=ticket.id)
            if suggestion is None:
                raise WorkflowError(f"No articles were suggested for #{ticket.number}.")
            if solved and article_id not in suggestion.article_ids:
                raise WorkflowError("That article was not one of the suggestions.")
            changed = suggestions.decide_suggestion(
                session,
                ticket_id=ticket.id,
                outcome=outcome,
                article_id=article_id,
                decided_by=decided_by,
                at=now,
            )
            if not changed:
                raise WorkflowError("You already answered this suggestion. Thank you!")
            session.refresh(suggestion)
        return suggestion

    def learn_self_served(self, *, ticket: Ticket, article_id: str) -> bool:
        """The press closed the ticket as self-served: its question becomes an example.

        Called only when the press really resolved a live, unmerged ticket: a press on
        one an agent already resolved, or one merged away, says nothing about the article.
        """
        assert ticket.id is not None
        with session_scope(self._engine) as session:
            suggestion = suggestions.suggestion_for(session, ticket_id=ticket.id)
            if suggestion is None:
                return False
            question = suggestion.question
        return self._teach([(article_id, question)], source="customer_solved", ticket=ticket) > 0

    def learn(self, *, ticket: Ticket, article_id: str) -> bool:
        """An agent says this article answered the ticket: its question becomes an example."""
        if self._knowledge.article(article_id) is None:
            raise WorkflowError(f"There is no article `{article_id}`. Try `/kb search`.")
        with session_scope(self._engine) as session:
            root = messages.find_message(session, channel_id=ticket.channel_id, ts=ticket.root_ts)
            question = root.text if root is not None and root.text else ticket.subject
        answered = [(article_id, question[:4000])]
        return self._teach(answered, source="agent_answer", ticket=ticket) > 0

    def learn_answered(self, answered: list[tuple[str, str]]) -> int:
        """Teach the matcher (article id, question) pairs answered elsewhere, the way
        `/ticket answer` and *This solved it* do; how many were new."""
        return self._teach(answered, source="imported", ticket=None)

    def _teach(
        self, answered: list[tuple[str, str]], *, source: str, ticket: Ticket | None
    ) -> int:
        """Store each question as an example of its article, then reload the examples:
        the one path every kind of learning takes."""
        added = 0
        with session_scope(self._engine) as session:
            for article_id, question in answered:
                added += suggestions.add_example(
                    session,
                    article_id=article_id,
                    text=question,
                    source=source,
                    ticket_id=ticket.id if ticket is not None else None,
                    at=self._clock(),
                )
        self.load_examples()
        return added

    def gaps(self, *, workspace_id: str, since: datetime, until: datetime) -> Gaps:
        """The period's newest unanswered questions, grouped by similarity, biggest first."""
        with read_scope(self._engine) as session:
            newest, total = suggestions.unanswered_questions(
                session,
                workspace_id=workspace_id,
                since=since,
                until=until,
                limit=MAX_GAP_QUESTIONS,
                count_up_to=GAP_COUNT_CAP + 1,
            )
        return Gaps(groups=group_questions(newest), clustered=len(newest), total=total)


def _comparable(text: str) -> str:
    # Token-set similarity needs words; CJK text has none, so compare character bigrams.
    text = text.lower()
    if _CJK.search(text):
        chars = [c for c in text if not c.isspace()]
        return " ".join(a + b for a, b in pairwise(chars))
    return text


def group_questions(rows: list[tuple[int, str, str, str]]) -> list[GapGroup]:
    """Greedy single-pass clustering of (number, customer, org, question) rows.

    Each question is compared on its first `GAP_TEXT_CHARS` characters; callers bound how
    many rows they pass (the comparisons grow with their square).
    """
    if not rows:
        return []
    texts = [_comparable(question[:GAP_TEXT_CHARS]) for _, _, _, question in rows]
    similarity = process.cdist(
        texts, texts, scorer=fuzz.token_set_ratio, score_cutoff=GAP_SIMILARITY, workers=-1
    )
    unassigned = numpy.ones(len(rows), dtype=bool)
    groups: list[GapGroup] = []
    for seed in range(len(rows)):
        if not unassigned[seed]:
            continue
        # Whole-row comparisons in numpy: a Python loop over the rest was quadratic work.
        chosen = unassigned & (similarity[seed] >= GAP_SIMILARITY)
        chosen[seed] = True  # an empty question scores 0 even against itself
        members = [int(i) for i in numpy.flatnonzero(chosen)]
        unassigned &= ~chosen
        groups.append(
            GapGroup(
                sample=rows[seed][3],
                questions=[rows[i][3] for i in members],
                tickets=[rows[i][0] for i in members],
                customers=len({rows[i][1] for i in members}),
                organizations=len({rows[i][2] for i in members}),
            )
        )
    groups.sort(key=lambda group: (-group.customers, -len(group.questions), group.tickets[0]))
    return groups
