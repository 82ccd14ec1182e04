"""The anchor of bench_http.py: a bare Flask app answering a small HTML page, served the same way."""

from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><html lang=zh-CN><title>基准</title><p>" + "新优药械" * 200 + "</p></html>"


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def page(path):
    return PAGE
