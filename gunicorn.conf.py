"""gunicorn settings read by `make run`, the benchmarks and the worker tests (gunicorn loads ./gunicorn.conf.py).

The app is created once in the master and the Chinese dictionaries (rjieba, pypinyin: about 60 MB) are
loaded there before the workers fork, so the workers share those pages instead of loading a copy each.
The mappers are configured and every template compiled there too: each worker would otherwise spend about
a second of CPU on them in its first requests, and keep a private copy.
No database connection is opened before the fork, and each worker drops any pooled one it inherited.
"""

import gc

preload_app = True


def when_ready(server):
    from sqlalchemy.orm import configure_mappers

    from portal.search import analysis
    from wsgi import app

    analysis.jieba()
    analysis.pinyin_of("磁共振")
    configure_mappers()
    for name in app.jinja_env.list_templates(extensions=["html", "txt", "xml"]):
        app.jinja_env.get_template(name)
    # Out of the collector's reach: its passes would otherwise write to every object the workers inherited,
    # copying the master's pages into each worker (Python's documented advice for pre-fork servers).
    gc.collect()
    gc.freeze()


def post_fork(server, worker):
    from portal.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)  # connections made before the fork stay the master's
