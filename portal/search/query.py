"""From what a person types to a Whoosh query; synonyms, facets, highlighting.

Every whitespace-separated word must match (AND). A word matches when all of its CJK bigrams and ASCII words
are present (scored by the weakest field they reach); or it is a department's prefix or suffix, a word of the
name, a registration-number prefix, a company's short name, the pinyin (or its initials) of a product name;
or any of its synonyms does, for a little less. The best of these counts (ranking.py). The whole text,
normalised, is also tried as a registration-number prefix, so `国械注准 2021 306` and `国械注准２０２１` work.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup, escape
from whoosh import query as Q

from portal.products.identifiers import normalise
from portal.search.analysis import bigram_units, fold, is_cjk, pinyin_pieces, word_units
from portal.search.ranking import AtLeast, Best, Fixed, MinAnd
from portal.search.schema import BOOSTS, SYNONYM

_SPLIT = re.compile(r"[\s,，、;；]+")
REGNO_WHOLE = 20.0


def words_of(text: str) -> list[str]:
    """The words of a query, full-width folded; duplicates dropped, order kept."""
    seen, out = set(), []
    for word in _SPLIT.split(fold(text or "").strip()):
        word = word.strip("\"'“”‘’()（）")
        if word and word not in seen:
            seen.add(word)
            out.append(word)
    return out


# ---------------------------------------------------------------------------------------------------------
# Synonyms (admin-edited table), cached briefly per process
# ---------------------------------------------------------------------------------------------------------

_syn_lock = threading.Lock()
_syn_cache: dict = {"at": 0.0, "map": None}
SYNONYM_TTL = 30.0


def invalidate_synonyms() -> None:
    with _syn_lock:
        _syn_cache["map"] = None


def synonym_map() -> dict[str, list[str]]:
    """{folded term: [expansions]}; re-read from the database at most every SYNONYM_TTL seconds."""
    with _syn_lock:
        if _syn_cache["map"] is not None and time.monotonic() - _syn_cache["at"] < SYNONYM_TTL:
            return _syn_cache["map"]
    from sqlalchemy import select

    from portal.extensions import db
    from portal.search.models import Synonym

    mapping: dict[str, list[str]] = {}
    for term, expansions in db.session.execute(select(Synonym.term, Synonym.expansions)):
        key = fold(term).strip()
        mapping.setdefault(key, [])
        mapping[key] += [fold(e).strip() for e in (expansions or []) if e and e.strip()]
    with _syn_lock:
        _syn_cache.update(map=mapping, at=time.monotonic())
    return mapping


def synonyms_stamp() -> float:
    """When the synonym map in use was read: part of the key of anything computed with it."""
    return _syn_cache["at"]


def expansions_of(word: str, synonyms: dict[str, list[str]]) -> list[str]:
    return [e for e in synonyms.get(word, []) if e != word]


# ---------------------------------------------------------------------------------------------------------
# Query building
# ---------------------------------------------------------------------------------------------------------


def _bigram_clause(text: str) -> Q.Query | None:
    """All bigrams (and ASCII words) of `text` required in the weighted bigram field; the weakest counts."""
    units = [u for u, _s, _e in bigram_units(text, index=False)]
    if not units:
        return None
    leaves = []
    for unit in dict.fromkeys(units):
        if len(unit) == 1 and is_cjk(unit):
            # One CJK character: any bigram starting with it, or a run ending with it (indexed alone).
            leaves.append(Best([Q.Prefix("text_bg", unit), Q.Term("text_bg", unit)]))
        else:
            leaves.append(Q.Term("text_bg", unit))
    return leaves[0] if len(leaves) == 1 else MinAnd(leaves)


def _pinyin_clauses(text: str, worth: float) -> list[Q.Query]:
    """Pinyin of a product name: syllables with the last one possibly cut short, or 3+ initials."""
    clauses = []
    pieces = pinyin_pieces(text)
    if pieces:
        *whole, last = pieces
        seq = Q.Sequence([*(Q.Term("name_py", p) for p in whole), Q.Prefix("name_py", last)])
        clauses.append(Fixed(seq, BOOSTS["name_py"] * worth))
    letters = text.lower()
    if 3 <= len(letters) <= 12 and letters.isascii() and letters.isalpha():
        grams = [Q.Term("name_pyi", letters[k : k + 3]) for k in range(len(letters) - 2)]
        clauses.append(Fixed(grams[0] if len(grams) == 1 else Q.And(grams), BOOSTS["name_pyi"] * worth))
    return clauses


def _alternative(text: str, worth: float = 1.0) -> list[Q.Query]:
    """Ways one spelling of a word can match, each worth its fixed score (times `worth`)."""

    def fixed(field_name, value):
        return Fixed(Q.Term(field_name, value), BOOSTS[field_name] * worth)

    # These match only where the bigrams match too: they raise the score, never add matches.
    within = [fixed("dept_w", text), fixed("maker_short", text.lower())]
    if word_units(text) == [text]:
        within.append(fixed("name_w", text))
    clauses = list(within)
    bigrams = _bigram_clause(text)
    if bigrams is not None:
        bigrams.boost *= worth
        clauses = [AtLeast(bigrams, Best(within))]
    code = normalise(text)
    if len(code) >= 2:
        clauses.append(fixed("regno", code))
    return clauses + _pinyin_clauses(text, worth)


def word_clause(word: str, synonyms: dict[str, list[str]]) -> Q.Query:
    clauses = _alternative(word)
    for expansion in expansions_of(word, synonyms):
        for spelling in words_of(expansion) if " " in expansion else [expansion]:
            clauses += _alternative(spelling, SYNONYM)
    return Best(clauses)


def build_query(text: str, synonyms: dict[str, list[str]] | None = None) -> Q.Query:
    """The query for `text`; Every() when it has no words."""
    synonyms = synonym_map() if synonyms is None else synonyms
    words = words_of(text)
    if not words:
        return Q.Every()
    required = Q.And([word_clause(w, synonyms) for w in words]) if len(words) > 1 else word_clause(words[0], synonyms)
    whole = normalise(text)
    if len(words) > 1 and len(whole) >= 4:
        required = Best([required, Fixed(Q.Term("regno", whole), REGNO_WHOLE)])
    return required


def needles(text: str, synonyms: dict[str, list[str]] | None = None) -> list[str]:
    """Strings to highlight: the words typed and their synonyms, longest first."""
    synonyms = synonym_map() if synonyms is None else synonyms
    found = []
    for word in words_of(text):
        found.append(word)
        found += expansions_of(word, synonyms)
    return sorted({n for n in found if n}, key=len, reverse=True)


def highlight(text: str | None, marks: list[str]) -> Markup:
    """`text` HTML-escaped, with every occurrence of a needle wrapped in <mark> (no inline style: CSP)."""
    text = text or ""
    if not marks or not text:
        return escape(text)
    return _highlighted(text, tuple(marks))


# A results page repeats its fields' highlighting on every request for it (popular queries, facets clicked):
# folding each field costs more than the rest of the row. Bounded: a few MB per worker at most.
@lru_cache(maxsize=8192)
def _highlighted(text: str, marks: tuple[str, ...]) -> Markup:
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    for needle in marks:
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + len(needle))
    if not spans:
        return escape(text)
    spans.sort()
    merged = [list(spans[0])]
    for s, e in spans[1:]:
        if s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(escape(text[pos:s]))
        out.append(Markup("<mark>") + escape(text[s:e]) + Markup("</mark>"))
        pos = e
    out.append(escape(text[pos:]))
    return Markup("").join(out)


@dataclass
class Filters:
    """Facet filters: index field → value (only the facets that were chosen)."""

    values: dict[str, str] = field(default_factory=dict)

    def query(self) -> list[Q.Query]:
        return [Q.Term(name, value) for name, value in self.values.items()]
