"""Ranking quality on the test catalogue (issue 15): how often the expected entries come first.

    .venv/bin/python bench/bench_ranking.py

Builds tests/factories_search.CATALOGUE in a temporary SQLite database as a real deployment would have it
(no demo seed) and runs every case of tests/test_search_ranking.RANKING. Reports, over the cases: recall (the
share of expected entries found at all), recall in the top places (the share of expected entries within the
first as many places as there are expected entries), the share of cases whose first result is right, and the
share of cases whose whole expected order holds.
"""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PORTAL_ENV", "development")

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.search import services  # noqa: E402
from portal.search.synonyms import seed_synonyms  # noqa: E402
from tests.factories_search import World, build_catalogue  # noqa: E402
from tests.test_search_ranking import RANKING  # noqa: E402


def evaluate(text, groups):
    got = [i["product_name"] for i in services.search_entries(text, per_page=100, facets=False).items]
    expected = set().union(*groups)
    top = set(got[: len(expected)])
    in_order, start = True, 0
    for group in groups:
        in_order &= set(got[start : start + len(group)]) == set(group)
        start += len(group)
    return {
        "found": len(expected & set(got)) / len(expected),
        "top": len(expected & top) / len(expected),
        "first": bool(got) and got[0] in groups[0],
        "order": in_order,
    }


def main():
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/ranking.sqlite3",
                "PORTAL_SEARCH_INDEX_DIR": f"{tmp}/index",
                "SECRET_KEY": "bench" * 8,
            }
        )
        with app.app_context():
            db.create_all()
            seed_synonyms()  # the built-in table, as migration 0004_search installs it
            build_catalogue(World(db, app))
            scores = {text: evaluate(text, groups) for text, groups in RANKING}
    n = len(scores)
    print(f"{n} cases over {len(__import__('tests.factories_search').factories_search.CATALOGUE)} entries")
    for key, label in (
        ("found", "recall (expected entries found at all)"),
        ("top", "recall in the top places"),
        ("first", "first result right"),
        ("order", "whole expected order holds"),
    ):
        print(f"{label:42} {sum(s[key] for s in scores.values()) / n:6.1%}")
    failing = [t for t, s in scores.items() if not s["order"]]
    print("cases not in the expected order:", " ".join(failing) or "none")


if __name__ == "__main__":
    main()
