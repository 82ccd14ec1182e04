"""Rendered template fragments, and read results, remembered by what they show.

A fragment's key is everything it reads (the caller's job: pass the row values, not an object whose other
attributes the template might reach), so a remembered fragment is never stale and nothing has to invalidate
it. Per process, bounded; the oldest entries make room. Rendering a table row costs tens of microseconds of
Jinja, looking it up one dictionary read. Used by the queue's rows and filter form, the entry page and the
search pages' result section.

What shows more than its key can name (a page of a query's results, a read of the database) is remembered by
`for_data` under the token of the latest committed write (core.dataversion) and today's date in Shanghai
(deadlines and notices turn at midnight there): any write anywhere, or a new day, and it is computed afresh.
"""

import threading
from collections.abc import Callable

from flask import current_app, request
from markupsafe import Markup

from portal.core import dataversion, timeutil


class Memo:
    """Values computed once per key, per process, at most `size` of them. Values are shared between
    threads: remember only what nobody changes (rows, tuples, markup), never a session's mapped objects."""

    def __init__(self, size: int):
        self.size = size
        self._values: dict = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable[[], object]):
        value = self._values.get(key)
        if value is None:
            value = compute()
            with self._lock:
                while len(self._values) >= self.size:
                    del self._values[next(iter(self._values))]
                self._values[key] = value
        return value

    def for_data(self, key: tuple, compute: Callable[[], object]):
        """The value for `key` as the data stands now; computed afresh while no write has been recorded."""
        token = dataversion.current()
        if token is None:
            return compute()
        return self.get((token, timeutil.today_shanghai(), key), compute)


class FragmentMemo(Memo):
    def __init__(self, template: str, size: int):
        super().__init__(size)
        self.template = template

    def __call__(self, key: tuple, context: Callable[[], dict]) -> Markup:
        """The fragment for `key`; `context()` gives the template's variables when it has to be rendered."""
        return self.get(key, lambda: self.render(context()))

    def get(self, key: tuple, compute: Callable[[], object]):
        key = (request.script_root, key)  # links inside the fragment depend on where the app is mounted
        return super().get(key, compute)

    def for_data(self, key: tuple, context: Callable[[], dict]) -> Markup:
        """The fragment for `key` as the data stands now (see the module's docstring)."""
        return super().for_data(key, lambda: self.render(context()))

    def render(self, context: dict) -> Markup:
        """The fragment rendered afresh, not remembered (for content no key can name). Only `context` and the
        app's globals and filters reach the template, not the request's context processors (who is logged
        in): a remembered fragment cannot show what its key leaves out."""
        return Markup(current_app.jinja_env.get_template(self.template).render(**context))  # noqa: S704
