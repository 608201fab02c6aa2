"""What the comments are about, without a cloud service: the A-11 drivers visitors chose, and the
words that recur in one location's comments more than in the others'.

Both are counted per location over a period (local dates of each office), from the comments the
user may already read in the inbox (open, handled or archived; never spam or purged text).

Keywords are TF-IDF with each location's comments of the period as one document (the comments
with a negative rating and those with a positive one apart): a word's share
of the location's words (TF) times ``ln((1 + N) / (1 + df)) + 1`` (IDF, N locations, df of them
using the word; the smoothing of scikit-learn's ``TfidfVectorizer``). Words are lower-cased
letters of three or more, minus English and Spanish stop words, and a word must occur in at
least ``MIN_COMMENTS`` comments of the location, so one visitor's wording never shows as a topic.
It is pure Python (a few hundred comments a month): scikit-learn would add scipy and numpy to
the app's image for the same arithmetic. docs/TOPICS.md says what it gives on the demo data.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from feedback.database import DbSession
from feedback.models import Location, Response, SurveyVersion
from feedback.scales import DRIVERS, SCALES
from feedback.services.comments import _date_window  # the inbox's own period, in each office's zone

TOP = 8
MIN_COMMENTS = 2
READABLE = ("open", "handled", "archived")
_WORD = re.compile(r"[^\W\d_]{3,}")
_STOP_TEXT = """
    about after again all also and any are because been before being but can could did does doing
    down even for from had has have her here him his how into its just last like more most much
    not now off once only other our out over own same she should some such than that the their
    them then there these they this those through too under until very was were what when where
    which while who why will with would you your yours removed thank thanks
    con como del desde donde ella ellos esta este esto estos fue hay las los más mas muy nada
    para pero por porque que qué sin sobre son también una uno unos usted
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Keyword:
    word: str
    score: float  # TF-IDF, for ordering only
    comments: int  # comments of the location and period that use it


@dataclass
class LocationTopics:
    location_id: int
    comments: int = 0
    # driver -> [chosen after a negative rating, after a positive one]
    drivers: dict[str, list[int]] = field(default_factory=dict)
    # Keywords of the comments with a negative rating, and of those with a positive one: what to
    # fix and what works are different words (docs/TOPICS.md: mixed, the positive ones drown the rest).
    negative_words: list[Keyword] = field(default_factory=list)
    positive_words: list[Keyword] = field(default_factory=list)


def words(text: str) -> list[str]:
    """The words of a comment that can be keywords, in order."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


def keywords(docs: dict[int, list[str]], top: int = TOP, min_comments: int = MIN_COMMENTS) -> dict[int, list[Keyword]]:
    """TF-IDF keywords of each document (a location's comments), best first."""
    counts = {key: Counter(w for text in texts for w in words(text)) for key, texts in docs.items()}
    in_comments = {key: Counter(w for text in texts for w in set(words(text))) for key, texts in docs.items()}
    df = Counter(w for c in counts.values() for w in c)
    n = len(docs)
    found = {}
    for key, counter in counts.items():
        total = sum(counter.values()) or 1
        scored = [
            Keyword(w, (k / total) * (math.log((1 + n) / (1 + df[w])) + 1), in_comments[key][w])
            for w, k in counter.items()
            if in_comments[key][w] >= min_comments
        ]
        found[key] = sorted(scored, key=lambda kw: (-kw.score, kw.word))[:top]
    return found


def topics(
    session: DbSession, location_ids: Collection[int], start: date | None, end: date | None, top: int = TOP
) -> list[LocationTopics]:
    """Drivers and keywords of each location with comments in the period, by location code."""
    if not location_ids:
        return []
    query = (
        select(Response.location_id, Response.rating, Response.followup_chosen, Response.comment, SurveyVersion.scale)
        .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        .where(Response.location_id.in_(sorted(location_ids)), Response.comment_state.in_(READABLE))
    )
    window = _date_window(session, location_ids, start, end)
    if window is not None:
        query = query.where(window)
    found: dict[int, LocationTopics] = {}
    texts: tuple[dict[int, list[str]], dict[int, list[str]]] = (defaultdict(list), defaultdict(list))
    for loc_id, rating, chosen, comment, scale in session.execute(query):
        entry = found.setdefault(loc_id, LocationTopics(loc_id, drivers={d: [0, 0] for d in DRIVERS}))
        entry.comments += 1
        side = 1 if SCALES[scale].is_positive(rating) else 0
        for driver in chosen or ():
            if driver in entry.drivers:
                entry.drivers[driver][side] += 1
        texts[side][loc_id].append(comment or "")
    for loc_id, kws in keywords(texts[0], top).items():
        found[loc_id].negative_words = kws
    for loc_id, kws in keywords(texts[1], top).items():
        found[loc_id].positive_words = kws
    codes = dict(session.execute(select(Location.id, Location.code).where(Location.id.in_(found))).all())
    return sorted(found.values(), key=lambda t: codes[t.location_id])
