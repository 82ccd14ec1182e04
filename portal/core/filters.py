"""Template helpers: Shanghai time, dates, labels (areas add their own through their blueprints)."""

from urllib.parse import urlencode

from flask import request, url_for

from portal.core import timeutil


def _datetime(value, fmt="%Y-%m-%d %H:%M"):
    local = timeutil.to_shanghai(value)
    return local.strftime(fmt) if local else ""


def _date(value):
    if value is None:
        return ""
    if hasattr(value, "hour"):
        return _datetime(value, "%Y-%m-%d")
    return value.strftime("%Y-%m-%d")


def _label(value):
    return getattr(value, "label", value if value is not None else "")


def _page_url(number: int) -> str:
    """This page's URL with every query argument kept and `page` replaced. The query string is built apart
    from url_for, so an argument named like a path part or url_for's own (`_external`) stays a plain argument."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "page"] + [("page", number)]
    return f"{url_for(request.endpoint, **request.view_args)}?{urlencode(args)}"


def register(app):
    app.add_template_filter(_datetime, "datetime")
    app.add_template_filter(_date, "date")
    app.add_template_filter(_label, "label")
    app.jinja_env.globals["days_left"] = timeutil.days_left
    app.jinja_env.globals["page_url"] = _page_url
