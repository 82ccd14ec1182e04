"""How matches are scored and ordered (issue 15).

Text relevance first: a word scores where it was found (schema.BOOSTS), all of its bigrams being required
and the weakest one counting (MinAnd), the best way of matching it winning (DisjunctionMax), the words of a
query adding up. Scores are compared in half points, so near-equal matches tie; ties go to the prior signals
of the `rank` column (passed the innovative special review, higher class, newer), and last to the lower id,
so the order never depends on when a document was indexed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from heapq import heappush, heapreplace

from whoosh import collectors, matching
from whoosh import query as Q
from whoosh.query.wrappers import WrappingQuery

from portal.search import index as idx

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


# ---------------------------------------------------------------------------------------------------------
# Collecting: the top N by (half points, rank), a count, and every matching document for the facets
# ---------------------------------------------------------------------------------------------------------


class _RankedCollector(collectors.ScoredCollector):
    def __init__(self, limit: int | None, ranks: list[int]):
        super().__init__()
        self.limit, self.ranks = limit, ranks

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.docs: list[int] = []

    def _collect(self, global_docnum, score):
        self.docs.append(global_docnum)
        item = ((round(score * 2), self.ranks[global_docnum]), global_docnum)
        items = self.items
        if self.limit is None or len(items) < self.limit:
            heappush(items, item)
        elif item > items[0]:
            heapreplace(items, item)
        return 0

    def results(self):
        raise NotImplementedError  # read .items and .docs


@dataclass
class Ranked:
    docnums: list[int]  # the best `limit` matches, best first
    matches: list[int]  # every match, in index order
    total: int


def ranked(s, q: Q.Query, allowed: set[int], limit: int | None) -> Ranked:
    """The matches of `q` among the `allowed` document numbers, best first (see the module docstring)."""
    if not allowed:  # Whoosh reads an empty filter as no filter at all
        return Ranked([], [], 0)
    ranks = idx.facet_columns(s, ["rank"])["rank"]
    child = _RankedCollector(limit, ranks)
    s.search_with_collector(q, collectors.FilterCollector(child, allow=allowed))
    best = sorted(child.items, reverse=True)
    return Ranked([d for _key, d in best], child.docs, len(child.docs))
