from flask.cli import AppGroup

search_cli = AppGroup("search", help="目录检索")
