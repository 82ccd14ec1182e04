"""gunicorn settings read by `make run`, the benchmarks and the worker tests (gunicorn loads ./gunicorn.conf.py).

The app is created once in the master and the Chinese dictionaries (rjieba, pypinyin: about 60 MB) are
loaded there before the workers fork, so the workers share those pages instead of loading a copy each.
No database connection is opened before the fork, and each worker drops any pooled one it inherited.
"""

preload_app = True


def when_ready(server):
    from portal.search import analysis

    analysis.jieba()
    analysis.pinyin_of("磁共振")


def post_fork(server, worker):
    from portal.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)  # connections made before the fork stay the master's
