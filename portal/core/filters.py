"""Template helpers: Shanghai time, dates, labels (areas add their own through their blueprints)."""

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
    """This page's URL with every query argument kept and `page` replaced."""
    args = {**request.view_args, **request.args.to_dict(), "page": number}
    return url_for(request.endpoint, **args)


def register(app):
    app.add_template_filter(_datetime, "datetime")
    app.add_template_filter(_date, "date")
    app.add_template_filter(_label, "label")
    app.jinja_env.globals["days_left"] = timeutil.days_left
    app.jinja_env.globals["page_url"] = _page_url
