"""The index schema: entries (public) and applications (their reviewers) in one index, told apart by doc_type.

`text_bg` holds the CJK bigrams and whole ASCII words of every searchable field, each token weighted by the
best field it occurs in (WeightedBigramTokenizer). Matching and scoring are in query.py and ranking.py: a
word scores where it was found (name > model > manufacturer > key area > description > inside a department),
or through the other fields below, and equal scores are ordered by `rank` (prior signals, then id).
`name_w` holds rjieba words of the name; `regno` edge prefixes of the normalised registration number;
`name_py` the pinyin of the name and `name_pyi` trigrams of its initials; `dept_w` the prefixes and suffixes of
each department. Facets are sortable columns.
"""

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from portal.search.analysis import (
    DepartmentTokenizer,
    EdgePrefixTokenizer,
    InitialsTokenizer,
    PinyinTokenizer,
    WeightedBigramTokenizer,
    WordTokenizer,
)

# What a match is worth, by where it was found. The bigram weights come from the source field (indexing);
# the others are the fixed scores of query.py. A synonym's match is worth SYNONYM times the word's own.
BOOSTS = {
    "name": 10.0,
    "model": 5.0,
    "maker": 3.0,
    "area": 1.5,
    "desc": 1.0,
    "dept": 0.5,  # bigrams inside a department name (心血管内科 for 血管内): below any description match
    "dept_w": 2.0,  # the query is a department's prefix or suffix (心血管, 内科)
    "name_w": 10.5,  # the query is one rjieba word of the name
    "name_py": 9.0,
    "name_pyi": 8.0,
    "regno": 10.0,
    "maker_short": 12.0,  # a company's short name: its products first
}
SYNONYM = 0.9


def build_schema() -> Schema:
    return Schema(
        key=ID(unique=True, stored=True),  # "entry:12", "application:7"
        doc_type=ID(stored=True),
        doc_id=NUMERIC(stored=True, bits=64),
        text_bg=TEXT(analyzer=WeightedBigramTokenizer(), phrase=False),
        name_w=TEXT(analyzer=WordTokenizer(), phrase=False),
        name_py=TEXT(analyzer=PinyinTokenizer(), phrase=True),
        name_pyi=TEXT(analyzer=InitialsTokenizer(), phrase=False),
        dept_w=TEXT(analyzer=DepartmentTokenizer(), phrase=False),
        regno=TEXT(analyzer=EdgePrefixTokenizer(), phrase=False),
        maker_short=ID(),
        # Facets and filters (sortable: read as columns when counting).
        catalogue=ID(stored=True, sortable=True),  # catalogue id
        batch=ID(stored=True, sortable=True),  # batch id
        key_area=ID(stored=True, sortable=True),
        device_class=ID(stored=True, sortable=True),
        category=ID(stored=True, sortable=True),  # product type
        department=KEYWORD(commas=True, scorable=False),  # filter: one term per department
        departments=ID(sortable=True),  # facet counting: "a|b|c" in a column
        district=ID(stored=True, sortable=True),
        innovative=ID(stored=True, sortable=True),
        status=ID(stored=True, sortable=True),
        listed_on=NUMERIC(stored=True, sortable=True, bits=32),  # yyyymmdd
        rank=NUMERIC(sortable=True, bits=64),  # ranking.rank_key: ties in relevance are ordered by it
        data=STORED(),  # what a result row shows, so a page of results needs no database query
    )
