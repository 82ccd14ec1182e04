from flask import Blueprint

bp = Blueprint("review", __name__)

ACCESS: dict = {}
