"""Architecture figures for issue 13: files over 500 lines, query expressions in views, area import circles.

    .venv/bin/python bench/arch_metrics.py

Query expressions in views: calls of `select(`, `db.session.get(`/`.scalars(`/`.scalar(`/`.execute(` and
`.query` in every views module (views.py, *_views.py, pages.py, api/*.py), and apart from them in the
home-page boards (home.py, home/dashboard.py), which are read modules of their areas taking the user.
Import circles: pairs of areas (first-level packages under portal/) that import each other, directly or
through other areas, counting imports inside functions too (grimp sees every import statement).
"""

import re
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
QUERY = re.compile(r"\bselect\(|db\.session\.(?:get|scalars?|execute)\(|\.query\b")


def long_files(limit=500):
    rows = [(len(p.read_text().splitlines()), p.relative_to(ROOT)) for p in (ROOT / "portal").rglob("*.py")]
    return sorted((row for row in rows if row[0] > limit), reverse=True)


def modules(names, folders=(), suffixes=()):
    for path in sorted((ROOT / "portal").rglob("*.py")):
        if path.name in names or path.parent.name in folders or path.name.endswith(suffixes):
            yield path


def queries(paths):
    return {p.relative_to(ROOT): len(QUERY.findall(p.read_text())) for p in paths}


def area_graph():
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("portal", include_external_packages=False)
    areas = sorted(m for m in graph.find_children("portal") if graph.find_children(m))
    edges = {a: set() for a in areas}
    for a in areas:
        for b in areas:
            if a != b and graph.direct_import_exists(importer=a, imported=b, as_packages=True):
                edges[a].add(b)
    return edges


def reachable(edges, start):
    seen, todo = set(), [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def main():
    files = long_files()
    print(f"files over 500 lines: {len(files)}")
    for n, path in files:
        print(f"  {n:5d} {path}")
    for title, found in (
        ("views", queries(modules(("views.py", "pages.py"), ("api",), ("_views.py",)))),
        ("home-page boards", queries(modules(("home.py", "dashboard.py")))),
    ):
        print(f"query expressions in {title}: {sum(found.values())}")
        for path, n in found.items():
            if n:
                print(f"  {n:3d} {path}")
    edges = area_graph()
    reach = {a: reachable(edges, a) for a in edges}
    circles = sorted({tuple(sorted((a, b))) for a in edges for b in reach[a] if a in reach[b] and a != b})
    direct = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges[b]})
    print(f"area pairs importing each other (directly or through others): {len(circles)}")
    print(f"area pairs importing each other directly: {len(direct)}")
    for a, b in direct:
        print(f"  {a.removeprefix('portal.')} <-> {b.removeprefix('portal.')}")
    print(f"areas importing no other area but core: core imports {sorted(edges.get('portal.core', ()))}")


if __name__ == "__main__":
    main()
