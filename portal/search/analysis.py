"""Chinese-aware analysis for the search index.

Measured before this was written (issue 6): word segmentation alone misses words inside compounds (动脉瓣,
断层扫描), so matching uses CJK character bigrams (every bigram of a query word required); segmentation by
rjieba only feeds a ranking field. Registration numbers get an edge-prefix field; ASCII runs are kept whole
(`3.0t`, `pet-ct`) so `3.0T` never matches `3.0mm`.

The tokenizers below keep no state: their pickled form (Whoosh stores the schema with the index) is just a
class reference, so opening an index never loads a dictionary. rjieba and pypinyin load once per process,
on first use.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterator

from whoosh.analysis import Token, Tokenizer

_lock = threading.Lock()
_jieba = None
_pinyin = None


def jieba():
    """The rjieba module; importing it loads its dictionary (about 0.1 s, 40 MB), so only on first use."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import rjieba

                _jieba = rjieba
    return _jieba


def pinyin_of(text: str) -> list[str]:
    """Tone-less pinyin syllables of the CJK characters of `text` (other characters are skipped)."""
    cjk = "".join(ch for ch in text if is_cjk(ch))
    return list(_pinyin_cached(cjk)) if cjk else []


@functools.lru_cache(maxsize=4096)  # a name is read for its syllables and again for its initials
def _pinyin_cached(cjk: str) -> tuple[str, ...]:
    global _pinyin
    if _pinyin is None:
        with _lock:
            if _pinyin is None:
                from pypinyin import Style, lazy_pinyin

                _pinyin = (lazy_pinyin, Style.NORMAL)
    lazy, style = _pinyin
    return tuple(s for s in lazy(cjk, style=style, errors="ignore") if s.isascii() and s.isalpha())


# ---------------------------------------------------------------------------------------------------------
# Folding and runs
# ---------------------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Full-width to half-width (NFKC, character by character so offsets stay put) and lower case."""
    out = []
    for ch in text or "":
        if ord(ch) < 128:
            out.append(ch.lower())
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded.lower() if len(folded) == 1 else ch)
    return "".join(out)


def is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x2FA1F


# An ASCII "word": letters/digits joined by . - _ / + (3.0t, pet-ct, umr-890, v2.0). A dot only joins digits
# with what follows, so a sentence-ending dot is not part of a token.
_ASCII = re.compile(r"[a-z0-9]+(?:(?:[-_/+]|\.(?=[0-9a-z]))[a-z0-9]+)*")
_JOINERS = re.compile(r"[-_/+]")


def runs(text: str) -> Iterator[tuple[str, str, int]]:
    """(kind, run, start) for each CJK run ("cjk") and ASCII word ("ascii") of already folded text."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if is_cjk(ch):
            j = i
            while j < n and is_cjk(text[j]):
                j += 1
            yield "cjk", text[i:j], i
            i = j
            continue
        match = _ASCII.match(text, i)
        if match:
            yield "ascii", match.group(0), i
            i = match.end()
            continue
        i += 1


def ascii_parts(word: str) -> list[str]:
    """A compound ASCII token and its parts: `pet-ct` → pet-ct, pet, ct (so `PET` also finds PET-CT)."""
    parts = [p for p in _JOINERS.split(word) if p]
    return [word] + (parts if len(parts) > 1 else [])


def bigram_units(text: str, *, index: bool) -> list[tuple[str, int, int]]:
    """(term, startchar, endchar) for the bigram field.

    CJK runs give every character bigram; when indexing, the last character of each run is also kept alone
    so that a one-character query can match (as a prefix of a bigram, or that final unigram). A compound ASCII
    word is indexed whole and by parts, and queried by its parts only, so `PET-CT` also finds `PET/CT`.
    """
    folded = fold(text)
    units = []
    for kind, run, start in runs(folded):
        if kind == "ascii":
            parts = ascii_parts(run)
            units.extend((part, start, start + len(run)) for part in (parts if index or len(parts) == 1 else parts[1:]))
        elif len(run) == 1:
            units.append((run, start, start + 1))
        else:
            units.extend((run[k : k + 2], start + k, start + k + 2) for k in range(len(run) - 1))
            if index:
                units.append((run[-1], start + len(run) - 1, start + len(run)))
    return units


def word_units(text: str) -> list[str]:
    """rjieba words of the folded text, without punctuation and spaces."""
    words = []
    for word, _start, _end in jieba().tokenize(fold(text)):
        word = word.strip()
        if word and any(ch.isalnum() for ch in word):
            words.append(word)
    return words


def edge_prefixes(value: str) -> list[str]:
    """Every prefix (2+ characters) of a normalised identifier, and of its digit block (4+ digits)."""
    from portal.products.identifiers import normalise

    code = normalise(value or "")
    if not code:
        return []
    out = [code[:k] for k in range(2, len(code) + 1)] or [code]
    digits = re.search(r"\d{4,}", code)
    if digits and digits.start() > 0:
        block = code[digits.start() :]
        out += [block[:k] for k in range(4, len(block) + 1)]
    return out


# ---------------------------------------------------------------------------------------------------------
# Tokenizers (stateless: see module docstring)
# ---------------------------------------------------------------------------------------------------------


class _UnitTokenizer(Tokenizer):
    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self).__name__)

    def units(self, value: str, mode: str) -> list[tuple[str, int, int]]:
        raise NotImplementedError

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, (text, s, e) in enumerate(self.units(value, mode)):
            t.text = text
            t.boost = 1.0
            if keeporiginal:
                t.original = text
            t.stopped = False
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + s, start_char + e
            yield t


SEGMENT = "\x1e"
BOOST_END = "\x1f"


def weighted(*parts: tuple[float, str]) -> str:
    """One value for WeightedBigramTokenizer: each text carries the weight its bigrams get (field boosts)."""
    return "".join(f"{SEGMENT}{boost:g}{BOOST_END}{text}" for boost, text in parts if text)


class WeightedBigramTokenizer(Tokenizer):
    """Bigrams of several source fields in one index field, each token weighted by its source's boost.

    Matching is one intersection of posting lists instead of one per source field. When indexing, each unit
    is emitted once, weighted by the best field it occurs in: with frequency weighting its weight says where
    it was found (name 10 … description 1), not how often, so repeating a word never outranks the name.
    """

    def __eq__(self, other):
        return type(self) is type(other)

    def __hash__(self):
        return hash(type(self).__name__)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True, start_pos=0,
                 start_char=0, tokenize=True, mode="", **kwargs):  # fmt: skip
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        best: dict[str, tuple[float, int, int]] = {}
        segments = value.split(SEGMENT) if SEGMENT in value else [f"1{BOOST_END}{value}"]
        for segment in segments:
            if not segment:
                continue
            boost_text, _, text = segment.partition(BOOST_END)
            try:
                boost = float(boost_text)
            except ValueError:
                boost, text = 1.0, segment
            for unit, s, e in bigram_units(text, index=mode != "query"):
                if unit not in best or best[unit][0] < boost:
                    best[unit] = (boost, s, e)
        for pos, (unit, (boost, s, e)) in enumerate(best.items(), start_pos):
            t.text, t.boost, t.stopped = unit, boost, False
            if keeporiginal:
                t.original = unit
            if positions:
                t.pos = pos
            if chars:
                t.startchar, t.endchar = start_char + s, start_char + e
            yield t


class WordTokenizer(_UnitTokenizer):
    """rjieba segmentation, for ranking."""

    def units(self, value, mode):
        return [(w, 0, 0) for w in word_units(value)]


def department_affixes(value: str) -> list[str]:
    """Every prefix and suffix (2+ characters) of each department ("|"-separated), folded.

    A query equal to one of them matches the department along its words (`心血管`, `内科`, `影像科`); one
    that starts and ends inside it (`血管内` in 心血管内科) only matches through the low-weight bigrams.
    """
    out = []
    for dept in fold(value).split("|"):
        dept = dept.strip()
        out += [dept[:k] for k in range(2, len(dept) + 1)] + [dept[-k:] for k in range(2, len(dept))]
    return list(dict.fromkeys(out))


def initials_trigrams(text: str) -> list[str]:
    """Trigrams of the pinyin initials of each CJK run (超导磁共振 → cdc, dcg, cgz, …)."""
    out = []
    for kind, run, _start in runs(fold(text)):
        if kind == "cjk":
            letters = "".join(s[0] for s in pinyin_of(run))
            out += [letters[k : k + 3] for k in range(len(letters) - 2)]
    return out


class DepartmentTokenizer(_UnitTokenizer):
    """Departments by their prefixes and suffixes (see department_affixes); queried with a Term."""

    def units(self, value, mode):
        return [(a, 0, 0) for a in department_affixes(value)]


class InitialsTokenizer(_UnitTokenizer):
    """Trigrams of a name's pinyin initials, so `cgz` finds 磁共振."""

    def units(self, value, mode):
        return [(g, 0, 0) for g in initials_trigrams(value)]


class EdgePrefixTokenizer(_UnitTokenizer):
    """Registration numbers: every prefix of the normalised number (and of its digits)."""

    def units(self, value, mode):
        if mode == "query":
            from portal.products.identifiers import normalise

            return [(normalise(value), 0, 0)]
        return [(p, 0, 0) for p in edge_prefixes(value)]


class PinyinTokenizer(_UnitTokenizer):
    """Tone-less pinyin syllables of the CJK characters, in order (phrase queries join them)."""

    def units(self, value, mode):
        return [(s, 0, 0) for s in pinyin_of(value)]


# ---------------------------------------------------------------------------------------------------------
# Pinyin queries: split `chaosheng` into syllables
# ---------------------------------------------------------------------------------------------------------

_INITIALS = ["zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c", "s"]
_INITIALS += ["y", "w"]
_FINALS = [
    "a",
    "o",
    "e",
    "ai",
    "ei",
    "ao",
    "ou",
    "an",
    "en",
    "ang",
    "eng",
    "ong",
    "er",
    "i",
    "ia",
    "ie",
    "iao",
    "iu",
    "ian",
    "in",
    "iang",
    "ing",
    "iong",
    "u",
    "ua",
    "uo",
    "uai",
    "ui",
    "uan",
    "un",
    "uang",
    "ueng",
    "v",
    "ve",
    "van",
    "vn",
    "ue",
    "uan",
]


def _syllables() -> frozenset[str]:
    found = set()
    for final in _FINALS:
        found.add(final)
        for initial in _INITIALS:
            found.add(initial + final)
    # Only syllables pypinyin can actually produce for common characters would be stricter; this superset is
    # only used to split a query, and a wrong split just finds nothing.
    return frozenset(s for s in found if len(s) <= 6)


SYLLABLES = _syllables()


def _syllables_of(text: str) -> list[str] | None:
    """`chaosheng` → [chao, sheng]: the whole text as syllables (longest first), or None."""
    best: dict[int, list[str] | None] = {len(text): []}

    def parse(i: int) -> list[str] | None:
        if i in best:
            return best[i]
        best[i] = None
        for length in range(min(6, len(text) - i), 0, -1):  # longest syllable first
            piece = text[i : i + length]
            if piece in SYLLABLES:
                rest = parse(i + length)
                if rest is not None:
                    best[i] = [piece, *rest]
                    break
        return best[i]

    return parse(0)


_STARTS = frozenset(s[:k] for s in SYLLABLES for k in range(1, len(s) + 1))


def pinyin_pieces(text: str) -> list[str] | None:
    """`cigongz` → [ci, gong, z]: whole syllables, then the start of one more (the last piece is matched as a
    prefix, since people stop typing early); None unless the text reads as two or more pieces."""
    text = text.lower()
    if not text.isascii() or not text.isalpha() or len(text) < 4:
        return None
    for cut in range(max(1, len(text) - 6), len(text)):
        head, last = text[:cut], text[cut:]
        if last in _STARTS:
            syllables = _syllables_of(head)
            if syllables:
                return [*syllables, last]
    return None
