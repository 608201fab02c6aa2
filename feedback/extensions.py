"""Bare extension instances; the app factory binds them (no app import here)."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from feedback.sqltypes import render_migration_item

# Stable constraint names so Alembic can alter tables on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# expire_on_commit=False: services return committed rows that views then serialise.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})

# The models' base class. ``db.Model`` is built at run time (Base plus Flask-SQLAlchemy's table-name
# and bind mixins), which a type checker cannot follow; to it, the base is the declarative Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True, render_item=render_migration_item)
babel = Babel()
csrf = CSRFProtect()
# Storage from RATELIMIT_STORAGE_URI: Redis when REDIS_URL is set (limits hold across workers
# and nodes), memory otherwise. No default limits: each public form names its own.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
login_manager = LoginManager()
# Redis when REDIS_URL is set (shared by every worker and node), this process's memory otherwise;
# used through feedback/cache.py, which keeps a Redis outage from failing a page.
cache = Cache()
