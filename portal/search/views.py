"""Public search across every catalogue or within one (the catalogue's own page), its exports, and the admins'
synonym pages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts.models import Role
from portal.catalogue.services import get_by_code, published_batches
from portal.core.access import PUBLIC, public, roles
from portal.core.fragments import FragmentMemo
from portal.core.unit import perform, submit
from portal.core.web import found
from portal.search import query as search_query
from portal.search import services, web
from portal.search import synonyms as synonym_services
from portal.search.forms import SynonymForm

bp = Blueprint("search", __name__)

ADMIN = {Role.ADMIN}
ACCESS = {
    "search.index": PUBLIC,
    "search.export": PUBLIC,
    "search.catalogue": PUBLIC,
    "search.catalogue_export": PUBLIC,
    "search.synonyms": ADMIN,
    "search.synonym_new": ADMIN,
    "search.synonym_edit": ADMIN,
    "search.synonym_delete": ADMIN,
}


# Rendered result sections, remembered by index generation, URL and synonyms: the section is public and
# depends only on those, and rendering it (facet links, highlighted rows) costs more than the search.
SEARCH_SECTIONS = FragmentMemo("search/_search.html", size=64)


def render_search(template: str, endpoint: str, view_args: dict, fixed: dict[str, str], **context):
    """Run the search the request asks for and render it (shared with the catalogue page)."""
    wanted = web.read_request(fixed)
    result = services.search_entries(
        wanted["text"], wanted["filters"], page=wanted["page"], per_page=web.PER_PAGE_WEB, sort=wanted["sort"]
    )

    def section() -> dict:
        return {**_section(result, wanted, endpoint, view_args, fixed), "request": request}

    if result.generation is None:  # read from the database while the index is unavailable: not remembered
        body = SEARCH_SECTIONS.render(section())
    else:
        arguments = tuple(request.args.items(multi=True))
        key = (result.generation, endpoint, tuple(sorted(view_args.items())), arguments, search_query.synonyms_stamp())
        body = SEARCH_SECTIONS(key, section)
    return render_template(template, search_body=body, wanted=wanted, **context)


def _section(result, wanted: dict, endpoint: str, view_args: dict, fixed: dict[str, str]) -> dict:
    """What search/_search.html shows: the form, facets, rows with highlights, pager and export links."""
    codes = result.labels["codes"]
    link = web.link_builder(endpoint, view_args, set(fixed))
    active = [
        (name, services.FACET_LABELS[name], services.facet_label(name, value, result.labels), link(**{name: None}))
        for name, value in wanted["filters"].items()
        if name not in fixed
    ]
    return {
        "result": result,
        "rows": [(item, services.highlighted(item, result.marks)) for item in result.items],
        "wanted": wanted,
        "link": link,
        "codes": codes,
        "active": active,
        "clear_all": link(**{name: None for name in wanted["filters"] if name not in fixed}),
        "fixed": fixed,
        "facet_labels": services.FACET_LABELS,
        "facet_order": [n for n in services.FACET_ORDER_ALL if n not in fixed],
        "sorts": services.SORTS,
        "export_args": {
            **{k: v for k, v in web.search_args().items() if k != "sort"},
            **{k: codes.get(v, v) if k == "catalogue" else v for k, v in fixed.items()},
        },
    }


@bp.route("/search")
@public
def index():
    return render_search("search/index.html", "search.index", {}, {})


@bp.route("/search/export.<fmt>")
@public
def export(fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    wanted = web.read_request()
    return web.export_response(fmt, wanted["text"], wanted["filters"], "新优药械目录检索结果")


# One catalogue ------------------------------------------------------------------------------------------------


@bp.route("/catalogues/<code>")
@public
def catalogue(code):
    catalogue = get_by_code(code) or abort(404)
    return render_search(
        "search/catalogue.html",
        "search.catalogue",
        {"code": code},
        {"catalogue": str(catalogue.id)},
        catalogue=catalogue,
        published=published_batches(current_user, catalogue),
    )


@bp.route("/catalogues/<code>/export.<fmt>")
@public
def catalogue_export(code, fmt):
    catalogue = get_by_code(code) or abort(404)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    wanted = web.read_request({"catalogue": str(catalogue.id)})
    return web.export_response(fmt, wanted["text"], wanted["filters"], catalogue.code)


# Synonyms (admin) ----------------------------------------------------------------------------------------


@bp.route("/admin/search/synonyms")
@roles(Role.ADMIN)
def synonyms():
    items = synonym_services.all_synonyms(current_user)
    return render_template("search/synonyms.html", items=items)


@bp.route("/admin/search/synonyms/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def synonym_new():
    return synonym_edit(None)


@bp.route("/admin/search/synonyms/<int:synonym_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def synonym_edit(synonym_id):
    """Also the new-synonym page (synonym_id None)."""
    synonym = found(synonym_services.get_synonym, synonym_id) if synonym_id is not None else None
    form = SynonymForm()
    if synonym is not None and request.method == "GET":
        form.term.data = synonym.term
        form.expansions.data = "\n".join(synonym.expansions or [])
    fields = {"term": form.term.data, "expansions": form.expansions.data}
    if form.validate_on_submit() and submit(form, synonym_services.save_synonym, current_user, synonym, **fields).ok:
        flash("同义词已保存，新的检索立即生效。", "success")
        return redirect(url_for("search.synonyms"))
    return render_template("search/synonym_form.html", form=form, synonym=synonym)


@bp.route("/admin/search/synonyms/<int:synonym_id>/delete", methods=["POST"])
@roles(Role.ADMIN)
def synonym_delete(synonym_id):
    synonym = found(synonym_services.get_synonym, synonym_id)
    term = synonym.term
    perform(synonym_services.delete_synonym, current_user, synonym)
    flash(f"已删除同义词「{term}」。", "success")
    return redirect(url_for("search.synonyms"))
