"""Who may find what in the index, as part of every query.

Public and reviewer documents share one index (told apart by doc_type), so the restriction is never an
optional filter: it is And-ed into the query itself, and a facet filter that allows nothing finds nothing.
"""

from __future__ import annotations

from whoosh import query as Q

from portal.catalogue.models import EntryStatus
from portal.core.outbox import APPLICATION, ENTRY
from portal.search import index as idx
from portal.search.query import Filters
from portal.workflow import ApplicationState

PUBLIC_STATUSES = {m.value for m in EntryStatus}
# The boundary itself: only catalogue entries are public documents. And-ed into every public query (one term:
# cheap); the listed/delisted choice and the facets narrow further through the cached filter set.
PUBLIC_DOCUMENTS = Q.Term("doc_type", ENTRY)


def public_scope(filters: dict[str, str]) -> Q.Query:
    """What anyone may find: catalogue entries (they exist only for published batches), listed ones unless
    the status facet asks for delisted ones."""
    status = filters.get("status", EntryStatus.LISTED.value)
    if status not in PUBLIC_STATUSES:
        return Q.NullQuery
    return Q.And([PUBLIC_DOCUMENTS, Q.Term("status", status)])


def public_allowed(s, filters: dict[str, str]) -> set[int]:
    """Document numbers anyone may find under `filters`: only catalogue entries, so whatever the query, the
    ranking (which scores inside this set) never reaches an application. Empty when nothing is allowed, which
    callers must not pass to Whoosh as a filter: it reads an empty set as "no filter"."""
    key = (ENTRY, *sorted(filters.items()))
    return idx.filter_docs(s, key, lambda: Q.And([public_scope(filters), *Filters(filters).query()]))


def application_scope(catalogue_ids) -> Q.Query:
    """Applications of these catalogues that the company has submitted (applications.permissions.submitted_once):
    not drafts, nor drafts it withdrew (listed_on holds the submission date, 0 when never submitted)."""
    never_submitted = Q.Or(
        [
            Q.Term("status", ApplicationState.DRAFT.value),
            Q.And([Q.Term("status", ApplicationState.WITHDRAWN.value), Q.NumericRange("listed_on", 0, 0)]),
        ]
    )
    return Q.And(
        [
            Q.Term("doc_type", APPLICATION),
            Q.Or([Q.Term("catalogue", str(c)) for c in sorted(catalogue_ids)]),
            Q.Not(never_submitted),
        ]
    )
