"""The admin site (sign-in and dashboards arrive with the admin issue)."""
from flask import Blueprint

admin_bp = Blueprint("admin", __name__, url_prefix="/admin")
