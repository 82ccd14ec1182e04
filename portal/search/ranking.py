"""How matches are scored and ordered (issue 15).

Text relevance first: a word scores where it was found (schema.BOOSTS), all of its bigrams being required
and the weakest one counting (MinAnd), the best way of matching it winning (DisjunctionMax), the words of a
query adding up. Scores are compared in half points, so near-equal matches tie; ties go to the prior signals
of the `rank` column (passed the innovative special review, higher class, newer), and last to the lower id,
so the order never depends on when a document was indexed.
"""

from __future__ import annotations

import heapq
import operator
from dataclasses import dataclass
from datetime import date

from whoosh import matching
from whoosh import query as Q
from whoosh.query.wrappers import WrappingQuery

from portal.search import index as idx
from portal.search import postings

CLASS_RANK = {"III": 3, "II": 2, "I": 1}
_EPOCH = date(2000, 1, 1)
_ID_BITS = 32


def rank_key(innovative: str | None, device_class: str | None, day: date | None, doc_id: int) -> int:
    """The prior signals of a document as one integer, larger first: innovative review passed, class, listing
    (or submission) day, then the lower id."""
    passed = 1 if innovative not in (None, "", "none") else 0
    days = min(max((day - _EPOCH).days, 0), 0xFFFF) if day else 0
    prior = (passed << 2 | CLASS_RANK.get(device_class or "", 0)) << 16 | days
    return prior << _ID_BITS | ((1 << _ID_BITS) - 1 - doc_id % (1 << _ID_BITS))


# ---------------------------------------------------------------------------------------------------------
# Query pieces: the weakest bigram counts; a way of matching has a fixed worth
# ---------------------------------------------------------------------------------------------------------


class _MinMatcher(matching.IntersectionMatcher):
    def score(self):
        return min(self.a.score(), self.b.score())

    def weight(self):
        return min(self.a.weight(), self.b.weight())

    def max_quality(self):
        return min(self.a.max_quality(), self.b.max_quality())

    def block_quality(self):
        return min(self.a.block_quality(), self.b.block_quality())


class MinAnd(Q.And):
    """And whose score is the lowest of its parts': a word is worth the weakest field all its bigrams reach."""

    def _matcher(self, subs, searcher, context):
        r = searcher.reader()
        return self._tree_matcher(subs, _MinMatcher, searcher, context, lambda q: 0 - q.estimate_size(r))


class _MaxMatcher(matching.UnionMatcher):
    # Whoosh's DisjunctionMaxMatcher also takes the score of a side that is on another document.
    def score(self):
        a, b = self.a, self.b
        if not a.is_active():
            return b.score()
        if not b.is_active():
            return a.score()
        a_id, b_id = a.id(), b.id()
        if a_id == b_id:
            return max(a.score(), b.score())
        return a.score() if a_id < b_id else b.score()


class Best(Q.Or):
    """Or whose score is the best matching part's: the best way a word matches counts, once."""

    def _matcher(self, subs, searcher, context):
        r = searcher.reader()
        return self._tree_matcher(subs, _MaxMatcher, searcher, context, lambda q: 0 - q.estimate_size(r))


class _AtLeastMatcher(matching.AndMaybeMatcher):
    def score(self):
        if self.b.is_active() and self.a.id() == self.b.id():
            return max(self.a.score(), self.b.score())
        return self.a.score()


class AtLeast(Q.AndMaybe):
    """Matches what `a` matches, scoring the better of `a` and `b`. For a `b` that only matches documents `a`
    matches (a department or a word of the name also has its bigrams indexed), this is Best([a, b]) without
    walking both posting lists."""

    matcherclass = _AtLeastMatcher


class _FixedMatcher(matching.WrappingMatcher):
    def score(self):
        return self.boost

    def weight(self):
        return self.boost

    def max_quality(self):
        return self.boost

    def block_quality(self):
        return self.boost


class Fixed(WrappingQuery):
    """Matches what `child` matches, every document scoring `score` (phrases and terms of other fields)."""

    def __init__(self, child: Q.Query, score: float):
        super().__init__(child)
        self.score = score

    def __eq__(self, other):
        return type(self) is type(other) and self.child == other.child and self.score == other.score

    def __hash__(self):
        return hash(self.child) ^ hash(self.score)

    def _rewrap(self, child):
        return self.__class__(child, self.score)

    def matcher(self, searcher, context=None):
        m = self.child.matcher(searcher, context)
        return m if isinstance(m, matching.NullMatcherClass) else _FixedMatcher(m, boost=self.score)


# How postings.py reads these matchers a posting list at a time (each as its score() above).
postings.register(_MinMatcher, postings.weakest, postings.both_ids, postings.smaller_size)
postings.register(_MaxMatcher, postings.best, postings.either_ids, postings.sum_size)
postings.register(_AtLeastMatcher, postings.at_least, postings.first_ids, postings.first_size)
postings.register(_FixedMatcher, postings.fixed, postings.child_ids, postings.child_size)


# ---------------------------------------------------------------------------------------------------------
# Collecting: the top N by (half points, rank), a count, and every matching document for the facets
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Ranked:
    docnums: list[int]  # the best `limit` matches, best first
    matches: list[int]  # every match (in no particular order)
    total: int


def scored_matches(s, q: Q.Query) -> dict[int, float]:
    """{docnum: score} of every document `q` matches (deleted ones left out), segment by segment as
    Whoosh's collectors walk them, from the matcher tree they would walk (postings.py)."""
    found: dict[int, float] = {}
    for part, offset in _per_segment(s, q, postings.scores):
        found.update({d + offset: v for d, v in part.items()} if offset else part)
    return found


def count(s, q: Q.Query, allowed: set[int]) -> int:
    """How many of the `allowed` documents `q` matches: the matches of ranked(), without scoring them."""
    return len(_matching_ids(s, q) & allowed) if allowed else 0


def ranked(s, q: Q.Query, allowed: set[int], limit: int | None) -> Ranked:
    """The matches of `q` among the `allowed` document numbers, best first (see the module docstring)."""
    if not allowed:  # an empty set allows nothing (Whoosh would read it as no filter at all)
        return Ranked([], [], 0)
    found = scored_matches(s, q)
    matches = list(found.keys() & allowed)
    return Ranked(_best(found, matches, idx.facet_columns(s, ["rank"])["rank"], limit), matches, len(matches))


def by_date(s, q: Q.Query, allowed: set[int], limit: int | None) -> Ranked:
    """The matches of `q` among the `allowed` document numbers, newest first, then by the ranking's prior
    signals (which end with the id, so no two entries tie): the order of Whoosh's sort by the listed_on and
    rank columns, both reversed, read off a list kept per index generation instead of sorting every match."""
    if not allowed:
        return Ranked([], [], 0)
    # Every(): every document not deleted, which `allowed` (documents found by a query) already is.
    matching = allowed if isinstance(q, Q.Every) else _matching_ids(s, q) & allowed
    in_order = list(filter(matching.__contains__, _date_order(s)))
    return Ranked(in_order[:limit] if limit is not None else in_order, in_order, len(in_order))


def _matching_ids(s, q: Q.Query) -> set[int]:
    found: set[int] = set()
    for part, offset in _per_segment(s, q, postings.ids):
        found |= {d + offset for d in part} if offset else part
    return found


def _per_segment(s, q: Q.Query, read):
    """(what `read` finds in a segment's matcher of `q`, the segment's first document number), per segment."""
    context = s.context()
    for sub, offset in s.leaf_searchers():
        yield read(q.matcher(sub, context)), offset


def _date_order(s) -> list[int]:
    cache = s._portal_caches
    if "date_order" not in cache:
        columns = idx.facet_columns(s, ["listed_on", "rank"])
        keys = list(zip(map(operator.neg, columns["listed_on"]), map(operator.neg, columns["rank"]), strict=True))
        cache["date_order"] = sorted(range(len(keys)), key=keys.__getitem__)
    return cache["date_order"]


def _best(found: dict[int, float], matches: list[int], ranks: list[int], limit: int | None) -> list[int]:
    """The `limit` best of `matches` by (half points, rank, docnum), largest first: the order a heap of
    ((half points, rank), docnum) items gives. Scores take few distinct values: each is halved once."""
    half = {v: round(v * 2) for v in set(map(found.__getitem__, matches))}
    halves = map(half.__getitem__, map(found.__getitem__, matches))
    keys = zip(halves, map(ranks.__getitem__, matches), matches, strict=True)
    best = heapq.nlargest(limit, keys) if limit is not None else sorted(keys, reverse=True)
    return [d for _half, _rank, d in best]
