"""How far one index has read the IndexChange log (kept with the index, see index.py).

Ids come from a sequence, but on PostgreSQL transactions commit out of id order: a reader can see id 11 while
id 10 is still uncommitted. So a cursor is the highest id read (`high`) plus the ids below it not seen yet
(`gaps`, as ranges). A gap is read again on every poll until its row appears or it is older than GRACE
(a rolled-back transaction leaves a gap for ever). `position` — everything at or below it is applied — is
what the database's SearchIndexCursor row records and what pruning waits for.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

# Longer than any transaction that writes to the outbox (a large catalogue import or publication).
GRACE_SECONDS = 300.0
FILE_NAME = "outbox-cursor.json"


@dataclass
class Cursor:
    high: int = 0
    gaps: list[tuple[int, int, float]] = field(default_factory=list)  # (first id, last id, first seen)

    @property
    def position(self) -> int:
        return min(lo for lo, _, _ in self.gaps) - 1 if self.gaps else self.high

    def is_new(self, change_id: int) -> bool:
        return change_id > self.high or any(lo <= change_id <= hi for lo, hi, _ in self.gaps)

    def advance(self, seen: list[int], now: float) -> bool:
        """Record that the ids `seen` (sorted, each new) were applied; forget expired gaps. True if changed."""
        before = (self.high, list(self.gaps))
        gaps = []
        for lo, hi, first in self.gaps:
            inside = [i for i in seen if lo <= i <= hi]
            gaps += [(a, b, first) for a, b in _missing(lo, hi, inside)]
        above = [i for i in seen if i > self.high]
        if above:
            gaps += [(a, b, now) for a, b in _missing(self.high + 1, above[-1], above)]
            self.high = above[-1]
        self.gaps = [g for g in gaps if g[2] > now - GRACE_SECONDS]
        return before != (self.high, self.gaps)

    @classmethod
    def after_snapshot(cls, visible: list[int], floor: int, now: float) -> Cursor:
        """The cursor of an index built from data read after the outbox ids `visible` (sorted, all > floor)
        were committed; ids above `floor` that were not visible may still be in flight."""
        cursor = cls(high=floor)
        cursor.advance(visible, now)
        return cursor

    def dumps(self) -> str:
        return json.dumps({"high": self.high, "gaps": [list(g) for g in self.gaps]})

    @classmethod
    def loads(cls, text: str) -> Cursor:
        data = json.loads(text)
        return cls(high=int(data["high"]), gaps=[(int(a), int(b), float(t)) for a, b, t in data["gaps"]])


def _missing(lo: int, hi: int, present: list[int]) -> list[tuple[int, int]]:
    """The ranges of [lo, hi] not in `present` (sorted)."""
    ranges, start = [], lo
    for i in present:
        if i > start:
            ranges.append((start, i - 1))
        start = max(start, i + 1)
    if start <= hi:
        ranges.append((start, hi))
    return ranges


def load(folder: Path) -> Cursor | None:
    """The cursor saved in an index generation folder; None for an index made before cursors existed."""
    try:
        return Cursor.loads((folder / FILE_NAME).read_text())
    except FileNotFoundError:
        return None


_loaded: dict[str, tuple[tuple[int, int, int], Cursor]] = {}


def load_cached(folder: Path) -> Cursor | None:
    """`load`, re-reading the file only when its modification time or size changed (a copy: callers may
    advance it). One entry per index folder, and a process sees a few folders in its life."""
    path = folder / FILE_NAME
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # save() replaces the file: a new inode
    cached = _loaded.get(str(folder))
    if cached is None or cached[0] != stamp:
        cursor = load(folder)
        if cursor is None:
            return None
        if len(_loaded) > 16:
            _loaded.clear()
        cached = _loaded[str(folder)] = (stamp, cursor)
    return Cursor(cached[1].high, list(cached[1].gaps))


def save(folder: Path, cursor: Cursor) -> None:
    tmp = folder / f".{FILE_NAME}.{os.getpid()}"
    tmp.write_text(cursor.dumps())
    os.replace(tmp, folder / FILE_NAME)
