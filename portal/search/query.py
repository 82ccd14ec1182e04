"""From what a person types to a Whoosh query; synonyms, facets, highlighting.

Every whitespace-separated word must match (AND). A word matches when, in one field, all of its CJK bigrams
and ASCII words are present; or it is a registration-number prefix; or a company's short name; or the pinyin
of a product name; or any of its synonyms does. The whole text, normalised, is also tried as a
registration-number prefix, so `国械注准 2021 306` and `国械注准２０２１` work.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from whoosh import query as Q

from portal.products.identifiers import normalise
from portal.search.analysis import bigram_units, fold, is_cjk, split_pinyin, word_units
from portal.search.schema import BOOSTS

_SPLIT = re.compile(r"[\s,，、;；]+")
REGNO_WHOLE_BOOST = 20.0


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


def expansions_of(word: str, synonyms: dict[str, list[str]]) -> list[str]:
    return [e for e in synonyms.get(word, []) if e != word]


# ---------------------------------------------------------------------------------------------------------
# Query building
# ---------------------------------------------------------------------------------------------------------


def _bigram_clause(text: str) -> Q.Query | None:
    """All bigrams (and ASCII words) of `text` required in the weighted bigram field."""
    units = [u for u, _s, _e in bigram_units(text, index=False)]
    if not units:
        return None
    leaves = []
    for unit in dict.fromkeys(units):
        if len(unit) == 1 and is_cjk(unit):
            # One CJK character: any bigram starting with it, or a run ending with it (indexed alone).
            leaves.append(Q.Or([Q.Prefix("text_bg", unit), Q.Term("text_bg", unit)]))
        else:
            leaves.append(Q.Term("text_bg", unit))
    return leaves[0] if len(leaves) == 1 else Q.And(leaves)


def _alternative(text: str) -> list[Q.Query]:
    """Ways one spelling of a word can match."""
    clauses = [c for c in [_bigram_clause(text)] if c is not None]
    code = normalise(text)
    if len(code) >= 2:
        clauses.append(Q.Term("regno", code, boost=BOOSTS["regno"] * 2))
    clauses.append(Q.Term("maker_short", text.lower(), boost=BOOSTS["maker_short"]))
    syllables = split_pinyin(text)
    if syllables:
        clauses.append(Q.Phrase("name_py", syllables, boost=BOOSTS["name_py"]))
    return clauses


def word_clause(word: str, synonyms: dict[str, list[str]]) -> Q.Query:
    clauses = _alternative(word)
    for expansion in expansions_of(word, synonyms):
        for spelling in words_of(expansion) if " " in expansion else [expansion]:
            clauses += _alternative(spelling)
    return Q.Or(clauses)


def build_query(text: str, synonyms: dict[str, list[str]] | None = None) -> Q.Query:
    """The query for `text`; Every() when it has no words."""
    synonyms = synonym_map() if synonyms is None else synonyms
    words = words_of(text)
    if not words:
        return Q.Every()
    required = Q.And([word_clause(w, synonyms) for w in words]) if len(words) > 1 else word_clause(words[0], synonyms)
    whole = normalise(text)
    if len(words) > 1 and len(whole) >= 4:
        required = Q.Or([required, Q.Term("regno", whole, boost=REGNO_WHOLE_BOOST)])
    # Segmented words only add to the score: a name made of the very words typed ranks first.
    ranking = [Q.Term("name_w", w, boost=BOOSTS["name_w"]) for w in dict.fromkeys(word_units(" ".join(words)))]
    return Q.AndMaybe(required, Q.Or(ranking)) if ranking else required


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
