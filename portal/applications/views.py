from flask import Blueprint

bp = Blueprint("applications", __name__)

ACCESS: dict = {}
