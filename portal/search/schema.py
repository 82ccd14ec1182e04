"""The index schema: entries (public) and applications (their reviewers) in one index, told apart by doc_type.

`text_bg` holds the CJK bigrams and whole ASCII words of every searchable field, each token weighted by its
field's boost (WeightedBigramTokenizer); it is searched with frequency weighting, so the boosts rank
directly (name > model & registration no > manufacturer > departments > description). `name_w` holds rjieba
words of the name and only adds to the score; `regno` holds edge prefixes of the normalised registration
number; `name_py` the pinyin of the name. Facets are sortable columns.
"""

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from portal.search.analysis import EdgePrefixTokenizer, PinyinTokenizer, WeightedBigramTokenizer, WordTokenizer

# Field boosts (issue 6). Bigram weights come from the source field; the others are query-time boosts.
BOOSTS = {
    "name": 10.0,
    "model": 5.0,
    "regno": 5.0,
    "maker": 3.0,
    "dept": 2.0,
    "area": 1.5,
    "desc": 1.0,
    "name_w": 4.0,
    "name_py": 20.0,
    "maker_short": 30.0,
}


def build_schema() -> Schema:
    return Schema(
        key=ID(unique=True, stored=True),  # "entry:12", "application:7"
        doc_type=ID(stored=True),
        doc_id=NUMERIC(stored=True, bits=64),
        text_bg=TEXT(analyzer=WeightedBigramTokenizer(), phrase=False),
        name_w=TEXT(analyzer=WordTokenizer(), phrase=False),
        name_py=TEXT(analyzer=PinyinTokenizer(), phrase=True),
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
        data=STORED(),  # what a result row shows, so a page of results needs no database query
    )
