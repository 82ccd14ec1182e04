from flask import Blueprint

bp = Blueprint("assessments", __name__)

ACCESS: dict = {}
