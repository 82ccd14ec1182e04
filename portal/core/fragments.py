"""Rendered template fragments remembered by the values they show.

A fragment's key is everything it reads (the caller's job: pass the row values, not an object whose other
attributes the template might reach), so a remembered fragment is never stale and nothing has to invalidate
it. Per process, bounded; the oldest entries make room. Rendering a table row costs tens of microseconds of
Jinja, looking it up one dictionary read. Used by the queue's rows and filter form, the entry page and the
search pages' result section.
"""

import threading
from collections.abc import Callable

from flask import current_app, request
from markupsafe import Markup


class FragmentMemo:
    def __init__(self, template: str, size: int):
        self.template = template
        self.size = size
        self._rendered: dict = {}
        self._lock = threading.Lock()

    def __call__(self, key: tuple, context: Callable[[], dict]) -> Markup:
        """The fragment for `key`; `context()` gives the template's variables when it has to be rendered."""
        key = (request.script_root, key)  # links inside the fragment depend on where the app is mounted
        html = self._rendered.get(key)
        if html is None:
            html = self.render(context())
            with self._lock:
                while len(self._rendered) >= self.size:
                    del self._rendered[next(iter(self._rendered))]
                self._rendered[key] = html
        return html

    def render(self, context: dict) -> Markup:
        """The fragment rendered afresh, not remembered (for content no key can name). Only `context` and the
        app's globals and filters reach the template, not the request's context processors (who is logged
        in): a remembered fragment cannot show what its key leaves out."""
        return Markup(current_app.jinja_env.get_template(self.template).render(**context))  # noqa: S704
