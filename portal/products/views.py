from flask import Blueprint

bp = Blueprint("products", __name__)

ACCESS: dict = {}
