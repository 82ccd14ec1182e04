from flask import Blueprint

bp = Blueprint("search", __name__)

ACCESS: dict = {}
