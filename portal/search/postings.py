"""Every match of a query and its score, a posting list at a time (issue 16).

Whoosh finds matches by stepping a tree of matchers one document at a time, several Python calls per
posting at every level of the tree: 50-170 ms for a broad word at 50,000 entries. Here the same matcher
tree, built by Whoosh from the same query, is read bottom-up instead: each term's postings are decoded a
block at a time into {docnum: score}, and each node combines its children's results with dict and set
operations that run in C. The score of a document is exactly what the stepping matcher gives it: each node
applies its class's arithmetic, in the same order, to the same children (Whoosh's tree, so sums associate
as they do there), and a matcher of a kind not handled here is stepped through as the collector would.

`within`: documents the caller will keep (the other side of an intersection, already read). The result is
exact for those; outside them it may lack documents or hold partial scores, which the caller drops. It
lets a term skip the blocks holding none of them (a rare word And-ed with a common one).

Reading a matcher consumes it: a tree is built for one reading.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_left
from itertools import accumulate, compress, islice, repeat

from whoosh import matching
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import wrappers
from whoosh.scoring import WeightScorer

# A term skips blocks only for this few wanted documents: with more, nearly every block holds one, and
# sorting them would cost more than it saves.
SKIP_LIMIT = 2048


def scores(m, within=None) -> dict[int, float]:
    """{docnum: score} of every document `m` matches from where it stands (segment-relative)."""
    kind = type(m)
    handler = _SCORED.get(kind)
    if handler is not None:
        return handler(m, within)
    if kind is W3LeafMatcher and type(m.scorer) is WeightScorer:  # Frequency weighting: the weight
        found, weights = _postings(m, within, weights=True)
        if within is not None and len(within) < len(found):  # keep only what is wanted: smaller dicts above
            chosen = list(map(within.__contains__, found))
            found, weights = compress(found, chosen), compress(weights, chosen)
        return dict(zip(found, weights, strict=True))
    found = {}
    while m.is_active():
        found[m.id()] = m.score()
        m.next()
    return found


def ids(m, within=None) -> set[int]:
    """The documents `m` matches, for a node whose score nobody reads (a fixed score's child, a count)."""
    kind = type(m)
    if kind is W3LeafMatcher:
        found = _postings(m, within, weights=False)[0]
        return set(found) if within is None or len(within) >= len(found) else set(filter(within.__contains__, found))
    handler = _IDS.get(kind)
    if handler is not None:
        return handler(m, within)
    found = set()
    while m.is_active():
        found.add(m.id())
        m.next()
    return found


def size(m) -> float:
    """A rough size of what `m` matches (a term's bytes of postings), to read the smaller side first."""
    kind = type(m)
    if kind is W3LeafMatcher:
        length = m._length  # bytes of postings (whoosh3 keeps a 1-tuple)
        return length[0] if isinstance(length, tuple) else length
    handler = _SIZE.get(kind)
    return handler(m) if handler is not None else math.inf


def register(kind, scored, matched, sized) -> None:
    """How a matcher class of ours is read: as scores(), ids() and size() read it."""
    _SCORED[kind], _IDS[kind], _SIZE[kind] = scored, matched, sized


# ---------------------------------------------------------------------------------------------------------
# Leaves: a term's postings, decoded a block at a time
# ---------------------------------------------------------------------------------------------------------


def _postings(m: W3LeafMatcher, within, *, weights: bool) -> tuple[list[int], list[float]]:
    """Document numbers (and weights) from the current posting on: the block data the matcher's own id()
    and weight() read (whoosh3 is pinned exactly), the ids' deltas summed by accumulate() in C rather than
    by Whoosh's generator. With few documents `within`, a block holding none of them is not decoded."""
    wanted = sorted(within) if within is not None and len(within) <= SKIP_LIMIT else None
    out_ids: list[int] = []
    out_weights: list[float] = []
    low = j = 0  # the lowest id the current block can hold; the first wanted document at or above it
    while m.is_active():
        top = m._maxid
        if wanted is not None:
            j = bisect_left(wanted, low, j)
            if j == len(wanted):
                break
            if wanted[j] > top and m._data is None:
                low = top + 1
                m._next_block()
                continue
        if m._data is None:
            m._read_data()
        start = m._i
        out_ids.extend(islice(m._data[0] if m._byteids else accumulate(m._data[0]), start, None))
        if weights:
            if m._weights is None:
                m._read_weights()
            out_weights.extend(m._weights[start:])
        low = top + 1
        m._next_block()
    return out_ids, out_weights


# ---------------------------------------------------------------------------------------------------------
# Inner nodes: each mirrors its matcher class's score()
# ---------------------------------------------------------------------------------------------------------


def _keys(found):
    return found.keys() if isinstance(found, dict) else found


def _narrow(found, within):
    """What a side that only counts where `found` matches needs to be exact for."""
    return _keys(found) if within is None else _keys(found) & within


def _pair(m, within, read):
    """Both sides of an intersection: the smaller read first, the other only where the first matched."""
    if size(m.b) < size(m.a):
        b = read(m.b, within)
        return read(m.a, _narrow(b, within)), b
    a = read(m.a, within)
    return a, read(m.b, _narrow(a, within))


def _both(a: dict, b: dict, combine) -> dict[int, float]:
    """Documents in both, scored combine(a, b): a first, as the matcher adds them."""
    common = a.keys() & b.keys()
    return dict(zip(common, _combined(common, a, b, combine), strict=True))


def _either(a: dict, b: dict, combine) -> dict[int, float]:
    """Documents in either; where both match, scored combine(a, b)."""
    out = a | b
    common = a.keys() & b.keys()
    out.update(zip(common, _combined(common, a, b, combine), strict=True))
    return out


def _maybe(m, within, combine) -> dict[int, float]:
    """The documents of m.a; where m.b matches too, scored combine(a, b)."""
    a = scores(m.a, within)
    b = scores(m.b, _narrow(a, within))
    out = dict(a)
    common = a.keys() & b.keys()
    out.update(zip(common, _combined(common, a, b, combine), strict=True))
    return out


def _combined(common: set[int], a: dict, b: dict, combine):
    """combine(a[d], b[d]) for each d of `common`, in its order, looped over in C (a set iterates the same way
    while unchanged)."""
    return map(combine, map(a.__getitem__, common), map(b.__getitem__, common))


def intersection(m, within) -> dict[int, float]:  # IntersectionMatcher: a.score() + b.score()
    return _both(*_pair(m, within, scores), operator.add)


def weakest(m, within) -> dict[int, float]:
    """A tree of ranking's _MinMatchers (MinAnd): documents in every part, scored the lowest. min() is exact in
    any grouping, so the parts are read smallest first, each only where all before it matched, and each
    document's minimum is taken once over all of them."""
    parts = sorted(_min_parts(m, type(m)), key=size)
    found = [scores(parts[0], within)]
    common = _narrow(found[0], within)
    for part in parts[1:]:
        found.append(scores(part, common))
        common = found[-1].keys() & common
    return dict(zip(common, map(min, *(map(d.__getitem__, common) for d in found)), strict=True))


def _min_parts(m, kind) -> list:
    return [p for side in (m.a, m.b) for p in (_min_parts(side, kind) if type(side) is kind else [side])]


def union(m, within) -> dict[int, float]:  # UnionMatcher: the sum where both match
    return _either(scores(m.a, within), scores(m.b, within), operator.add)


def best(m, within) -> dict[int, float]:  # ranking's _MaxMatcher: the higher where both match
    return _either(scores(m.a, within), scores(m.b, within), max)


def and_maybe(m, within) -> dict[int, float]:  # AndMaybeMatcher: a, plus b where b matches too
    return _maybe(m, within, operator.add)


def at_least(m, within) -> dict[int, float]:  # ranking's _AtLeastMatcher: a, or b where better
    return _maybe(m, within, max)


def wrapped(m, within) -> dict[int, float]:  # WrappingMatcher: child.score() * boost
    found = scores(m.child, within)
    return dict(zip(found, map(operator.mul, found.values(), repeat(m.boost)), strict=True))


def fixed(m, within) -> dict[int, float]:  # ranking's _FixedMatcher: its worth, whatever the child scores
    return dict.fromkeys(ids(m.child, within), m.boost)


def filtered(m, within) -> dict[int, float]:  # FilterMatcher: deleted documents left out (or a set kept)
    boost, chosen, exclude = m.boost, m._ids, m._exclude
    return {d: v * boost for d, v in scores(m.child, within).items() if (d in chosen) != exclude}


def both_ids(m, within) -> set[int]:
    a, b = _pair(m, within, ids)
    return a & b


def either_ids(m, within) -> set[int]:
    return ids(m.a, within) | ids(m.b, within)


def first_ids(m, within) -> set[int]:  # the optional side of an and-maybe adds score, never matches
    return ids(m.a, within)


def child_ids(m, within) -> set[int]:
    return ids(m.child, within)


def filtered_ids(m, within) -> set[int]:
    found = ids(m.child, within)
    return found - m._ids if m._exclude else found & m._ids


def smaller_size(m) -> float:
    return min(size(m.a), size(m.b))


def sum_size(m) -> float:
    return size(m.a) + size(m.b)


def first_size(m) -> float:
    return size(m.a)


def child_size(m) -> float:
    return size(m.child)


# Exact classes only: a subclass may score differently (as ranking's own matchers do), and is stepped
# through unless it is registered.
_SCORED = {
    matching.IntersectionMatcher: intersection,
    matching.UnionMatcher: union,
    matching.AndMaybeMatcher: and_maybe,
    wrappers.WrappingMatcher: wrapped,
    wrappers.FilterMatcher: filtered,
    matching.NullMatcherClass: lambda _m, _within: {},
}
_IDS = {
    matching.IntersectionMatcher: both_ids,
    matching.UnionMatcher: either_ids,
    matching.AndMaybeMatcher: first_ids,
    wrappers.WrappingMatcher: child_ids,
    wrappers.FilterMatcher: filtered_ids,
    matching.NullMatcherClass: lambda _m, _within: set(),
}
_SIZE = {
    matching.IntersectionMatcher: smaller_size,
    matching.UnionMatcher: sum_size,
    matching.AndMaybeMatcher: first_size,
    wrappers.WrappingMatcher: child_size,
    wrappers.FilterMatcher: child_size,
    matching.NullMatcherClass: lambda _m: 0,
    matching.ListMatcher: lambda m: len(m._ids),
}
