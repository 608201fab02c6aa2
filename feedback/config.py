"""Settings read from the environment, in one place.

Everything has a safe default for a developer's machine; production
(``FEEDBACK_ENV=production``) refuses to start without a strong ``SECRET_KEY``, and
a mode name it does not know (``Production``, ``prod``) stops the start rather than
quietly running as development.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import secrets
import sysconfig
from collections import Counter
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout the code runs from, or None when it runs from an installed wheel.
CHECKOUT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "migrations" / "env.py").is_file() else None
# Where a wheel puts the static files and migrations (setup.cfg [options.data_files]).
SHARE_DIR = Path(sysconfig.get_path("data")) / "share" / "counter-feedback"


def resource_dir(name: str) -> Path:
    """``static`` or ``migrations``: from the checkout, else from the installed share folder.

    ``FEEDBACK_STATIC_DIR`` / ``FEEDBACK_MIGRATIONS_DIR`` point elsewhere when both are wrong.
    """
    override = os.environ.get(f"FEEDBACK_{name.upper()}_DIR")
    if override:
        return Path(override)
    return (CHECKOUT or SHARE_DIR) / name


MODES = ("development", "production")
LOG_FORMATS = ("json", "text")
METRICS_TOKEN_MIN_LENGTH = 24
SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_MIN_BITS = 96  # measured from character frequencies, which undercount a random key
SECRET_KEY_ADVICE = "Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a number, got {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise RuntimeError(f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}")


def normalize_database_url(url: str) -> str:
    """Accept the common ``postgres://`` spellings and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def weak_secret_key(key: str) -> str | None:
    """Why ``key`` is too weak to sign production sessions, or None.

    Every phone visitor receives a cookie signed with it, so a guessable key can be cracked
    offline and a session (an admin's ``_user_id``) forged. Refused: keys shorter than 32
    characters, keys whose characters carry under 96 bits by their frequencies (``aaaa...``,
    ``passwordpassword...``), and keys that repeat a shorter pattern or count up or down.
    """
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if bits < SECRET_KEY_MIN_BITS:
        return f"its characters carry about {bits:.0f} bits, fewer than {SECRET_KEY_MIN_BITS}"
    if any(key == (key[:period] * (len(key) // period + 1))[: len(key)] for period in range(1, len(key) // 2 + 1)):
        return "it repeats a shorter pattern"
    steps = Counter(ord(b) - ord(a) for a, b in itertools.pairwise(key))
    if steps.most_common(1)[0][1] >= len(key) // 2:
        return "it is mostly a run of consecutive characters"
    return None


def _mode() -> str:
    mode = os.environ.get("FEEDBACK_ENV") or "development"
    if mode not in MODES:
        raise RuntimeError(f"FEEDBACK_ENV must be one of {', '.join(MODES)} (exactly), got {mode!r}")
    return mode


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if production:
        if not key:
            raise RuntimeError(f"SECRET_KEY must be set when FEEDBACK_ENV=production. {SECRET_KEY_ADVICE}")
        reason = weak_secret_key(key)
        if reason:
            raise RuntimeError(f"SECRET_KEY is too weak for production: {reason}. {SECRET_KEY_ADVICE}")
    if key:
        return key
    # Development: generate once and keep it, so sessions survive restarts.
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _log_format(production: bool) -> str:
    raw = os.environ.get("LOG_FORMAT") or ("json" if production else "text")
    if raw not in LOG_FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {raw!r}")
    return raw


def _metrics_token() -> str | None:
    token = os.environ.get("METRICS_TOKEN") or None
    if token is not None and len(token) < METRICS_TOKEN_MIN_LENGTH:
        raise RuntimeError(f"METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters. {SECRET_KEY_ADVICE}")
    return token


# The federal open-data schema's (DCAT-US v1.1) forms of these settings: a harvester rejects others.
_CODES = {
    "OPEN_DATA_BUREAU_CODE": (r"\d{3}:\d{2}", "000:00", "like 015:11 (OMB Circular A-11, Appendix C)"),
    "OPEN_DATA_PROGRAM_CODE": (r"\d{3}:\d{3}", "000:000", "like 015:001 (the Federal Program Inventory)"),
    "OPEN_DATA_CONTACT_EMAIL": (r"[\w.+-]+@[\w.-]+\.[\w.-]+", "open-data@example.org", "an e-mail address"),
}


def _open_data(name: str) -> str:
    pattern, default, form = _CODES[name]
    value = (os.environ.get(name) or default).strip()
    if not re.fullmatch(pattern, value):
        raise RuntimeError(f"{name} must be {form}, got {value!r}")
    return value


def _cache_settings() -> dict:
    url = os.environ.get("REDIS_URL") or None
    timeout = _float("REDIS_TIMEOUT_SECONDS", 1)
    shared = {
        "CACHE_TYPE": "RedisCache",
        "CACHE_REDIS_URL": url,
        "CACHE_OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
    }
    return {
        **(shared if url else {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}),
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "feedback:cache:"),
        "CACHE_DEFAULT_TIMEOUT": 300,
        "CACHE_RETRY_SECONDS": _float("CACHE_RETRY_SECONDS", 5),
    }


def _sso() -> dict:
    issuer = (os.environ.get("OIDC_ISSUER") or "").strip().rstrip("/") or None
    client_id = os.environ.get("OIDC_CLIENT_ID") or None
    if issuer and not (client_id and os.environ.get("OIDC_CLIENT_SECRET")):
        raise RuntimeError("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set too")
    password = _bool("PASSWORD_SIGN_IN", True)
    if not password and not issuer:
        raise RuntimeError("PASSWORD_SIGN_IN=false needs OIDC_ISSUER: nobody could sign in")
    return {
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET") or None,
        "OIDC_SCOPES": os.environ.get("OIDC_SCOPES") or "openid email profile groups",
        "OIDC_GROUPS_CLAIM": os.environ.get("OIDC_GROUPS_CLAIM") or "groups",
        # How old the groups of a signed-in session may be before a request asks the provider's
        # userinfo endpoint again; 0: every request (a removed group ends access at the next one).
        "OIDC_RECHECK_SECONDS": _float("OIDC_RECHECK_SECONDS", 0),
        "PASSWORD_SIGN_IN": password,
    }


def load_config() -> dict:
    """Return the Flask config mapping for the current environment."""
    # The instance folder (SQLite file, development secret key): in the checkout, or in the
    # working directory when installed from a wheel.
    instance_path = Path(os.environ.get("INSTANCE_PATH") or (CHECKOUT or Path.cwd()) / "instance")
    production = _mode() == "production"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'feedback.db'}"
    return {
        "ENV_NAME": "production" if production else "development",
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": _secret_key(instance_path, production),
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        # Extra engine options over feedback.database.engine_options (pre-ping, the timeouts below).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # SQLite: how long a writer waits for the write lock before the request answers 503.
        "SQLITE_BUSY_TIMEOUT_SECONDS": _float("SQLITE_BUSY_TIMEOUT_SECONDS", 15),
        # PostgreSQL: how long to wait for a new connection before the request answers 503.
        "DATABASE_CONNECT_TIMEOUT_SECONDS": _float("DATABASE_CONNECT_TIMEOUT_SECONDS", 5),
        # Faults (feedback/errors/unavailable.py, feedback/health.py): the Retry-After of a 503, how often a
        # lasting outage is logged again, and how long the readiness check waits for the database.
        "RETRY_AFTER_SECONDS": _int("RETRY_AFTER_SECONDS", 5),
        "OUTAGE_LOG_SECONDS": _float("OUTAGE_LOG_SECONDS", 60),
        "READINESS_TIMEOUT_SECONDS": _float("READINESS_TIMEOUT_SECONDS", 2),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # A PostgreSQL streaming replica for the dashboards, exports and read API (feedback/replica.py).
        # A read goes to the primary after a write from the same browser or token for
        # REPLICA_MAX_LAG_SECONDS, and whenever the replica has not replayed what the primary had
        # when the page asked within REPLICA_WAIT_SECONDS (or is behind by more than the bound, or down).
        "DATABASE_REPLICA_URL": os.environ.get("DATABASE_REPLICA_URL") or None,
        "REPLICA_MAX_LAG_SECONDS": _float("REPLICA_MAX_LAG_SECONDS", 5),
        "REPLICA_WAIT_SECONDS": _float("REPLICA_WAIT_SECONDS", 0.1),
        "REPLICA_RETRY_SECONDS": _float("REPLICA_RETRY_SECONDS", 5),
        "PORT": _int("PORT", 8000),
        # Request bodies above this answer 413; a full 500-item batch is ~150 KB.
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 1024 * 1024),
        # URLs longer than this answer 414 (feedback/input_guard.py); gunicorn's own request-line
        # limit is set above it (gunicorn.conf.py) so the answer is the app's, not an HTML page.
        "MAX_URL_LENGTH": _int("MAX_URL_LENGTH", 4000),
        "BATCH_MAX_ITEMS": _int("BATCH_MAX_ITEMS", 500),
        # A second tap from one device within this many seconds is kept but marked suspect.
        "SUSPECT_WINDOW_SECONDS": _float("SUSPECT_WINDOW_SECONDS", 2.0),
        # How long a process may answer a kiosk tap from its cache of device tokens and current
        # survey versions (feedback/services/tap_cache.py): a revoked token is refused on every node
        # within this many seconds (at once on the node that revoked it). 0: no cache.
        "AUTH_CACHE_SECONDS": _float("AUTH_CACHE_SECONDS", 1.0),
        # Kiosk clocks drift; allow a little skew into the future, and refuse very old taps.
        "CLIENT_TIME_MAX_FUTURE_SECONDS": _int("CLIENT_TIME_MAX_FUTURE_SECONDS", 300),
        "CLIENT_TIME_MAX_AGE_DAYS": _int("CLIENT_TIME_MAX_AGE_DAYS", 90),
        # Kiosk screen timing, sent to kiosks with their survey config.
        "KIOSK_FOLLOWUP_SECONDS": _float("KIOSK_FOLLOWUP_SECONDS", 10),
        "KIOSK_THANKS_SECONDS": _float("KIOSK_THANKS_SECONDS", 3),
        "KIOSK_IDLE_SECONDS": _float("KIOSK_IDLE_SECONDS", 60),
        "KIOSK_CONFIG_REFRESH_SECONDS": _float("KIOSK_CONFIG_REFRESH_SECONDS", 300),
        "KIOSK_HEARTBEAT_SECONDS": _float("KIOSK_HEARTBEAT_SECONDS", 60),
        "KIOSK_REQUEST_TIMEOUT_SECONDS": _float("KIOSK_REQUEST_TIMEOUT_SECONDS", 15),
        "ENROLLMENT_TTL_HOURS": _float("ENROLLMENT_TTL_HOURS", 24),
        # Base of links printed by the CLI (enrolment links, QR codes).
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(PACKAGE_DIR / "translations"),
        # Session cookies: never readable by scripts, not sent cross-site; Secure under HTTPS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # Production sends Strict-Transport-Security (feedback/security.py): browsers then refuse
        # plain HTTP for the site for this long. 0 sends none (a TLS-less test install).
        "HSTS_SECONDS": _int("HSTS_SECONDS", 365 * 24 * 3600) if production else 0,
        "WTF_CSRF_TIME_LIMIT": None,
        # Phone survey abuse limits (Flask-Limiter syntax), per client IP and per location. Every
        # post counts, and an answer takes two (the rating, then the details): 10 answers a minute.
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX", "feedback"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Redis down: count the same limits in each process's memory, never fail the request
        # (feedback/ratelimit.py); a Redis that does not answer costs at most this long per call.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {
            "socket_connect_timeout": _float("REDIS_TIMEOUT_SECONDS", 1),
            "socket_timeout": _float("REDIS_TIMEOUT_SECONDS", 1),
        },
        "PHONE_LIMIT_PER_IP": os.environ.get("PHONE_LIMIT_PER_IP", "20 per minute; 120 per hour"),
        "PHONE_LIMIT_PER_LOCATION": os.environ.get("PHONE_LIMIT_PER_LOCATION", "240 per minute"),
        "PHONE_REPEAT_MINUTES": _float("PHONE_REPEAT_MINUTES", 10),
        # How long a phone may complete or correct the answer it stored (the rating is kept at once).
        "PHONE_UPDATE_MINUTES": _float("PHONE_UPDATE_MINUTES", 30),
        # Admin sign-in attempts per client IP, counted before the (deliberately slow) password
        # check; each account and unknown address is also locked after failures (services/auth.py).
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "20 per minute; 200 per hour"),
        # Password checks running at once in one process (each costs ~0.25 s of CPU on purpose);
        # beyond this a sign-in answers 429 at once, so a burst cannot take every thread from kiosks.
        "SIGN_IN_CONCURRENCY": _int("SIGN_IN_CONCURRENCY", 2),
        # Single sign-on through the agency's OpenID Connect provider (admin_app/sso.py): off while
        # OIDC_ISSUER is unset. PASSWORD_SIGN_IN=false leaves only single sign-on.
        **_sso(),
        # How many proxies (load balancers) in front set X-Forwarded-For / -Proto; 0 = none.
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # Alert e-mail (feedback/services/mailer.py): smtp://host:25, smtp+starttls://user:pass@host:587
        # or smtps://user:pass@host:465. Unset: no e-mail, alerts are only listed in the admin site.
        "SMTP_URL": os.environ.get("SMTP_URL") or None,
        "ALERT_MAIL_FROM": os.environ.get("ALERT_MAIL_FROM") or "counter-feedback@localhost",
        "SMTP_TIMEOUT_SECONDS": _float("SMTP_TIMEOUT_SECONDS", 10),
        # Evaluate the burst and below-target rules when a stored negative rating is folded into
        # the rollups (kiosk_app/alerting.py). Off: only ``flask alerts run`` evaluates the rules.
        "ALERTS_ON_INGEST": _bool("ALERTS_ON_INGEST", True),
        # Who adds a tap's response to the rollups after it is answered (feedback/folding.py):
        # "background" (a thread per process), "inline" (the request, before answering) or "off"
        # (only readers, `flask rollups fold` and the scheduler). Readers always fold first.
        "ROLLUP_FOLD": os.environ.get("ROLLUP_FOLD", "background"),
        "ROLLUP_FOLD_DELAY_SECONDS": _float("ROLLUP_FOLD_DELAY_SECONDS", 0.2),
        # The scheduler (``flask scheduler``, feedback/scheduler.py): how often it looks for due jobs,
        # each job's period (run once per period across all nodes), and how long runs are kept.
        "SCHEDULER_TICK_SECONDS": _float("SCHEDULER_TICK_SECONDS", 5),
        "SCHEDULE_ALERTS_SECONDS": _int("SCHEDULE_ALERTS_SECONDS", 60),
        "SCHEDULE_FOLD_SECONDS": _int("SCHEDULE_FOLD_SECONDS", 30),
        "SCHEDULE_RETENTION_SECONDS": _int("SCHEDULE_RETENTION_SECONDS", 24 * 3600),
        "SCHEDULE_PRUNE_SECONDS": _int("SCHEDULE_PRUNE_SECONDS", 24 * 3600),
        # E-mail digests (services/digests.py): the job looks for due digests this often; the
        # weekly one goes out on this weekday at this hour in each subscriber's home zone.
        "SCHEDULE_DIGESTS_SECONDS": _int("SCHEDULE_DIGESTS_SECONDS", 3600),
        "DIGEST_WEEKDAY": os.environ.get("DIGEST_WEEKDAY") or "mon",
        "DIGEST_HOUR": _int("DIGEST_HOUR", 7),
        "SCHEDULER_KEEP_DAYS": _int("SCHEDULER_KEEP_DAYS", 14),
        # "Now" for the whole app (feedback/clock.py): a callable returning an aware UTC datetime,
        # set by tests; None is the real time.
        "CLOCK": None,
        # Public scoreboards (/scores/<slug>): how long browsers, proxies and this process keep a page,
        # and the fewest responses for which a location's share is shown.
        "SCOREBOARD_CACHE_SECONDS": _int("SCOREBOARD_CACHE_SECONDS", 300),
        "SCOREBOARD_MIN_RESPONSES": _int("SCOREBOARD_MIN_RESPONSES", 10),
        # Open data (feedback/services/open_data.py): each public scoreboard's figures as CSV and JSON,
        # for OPEN_DATA_QUARTERS fiscal quarters, listed in /data.json (DCAT-US v1.1) under this
        # publisher, contact, bureau and program code, and licence.
        "OPEN_DATA_QUARTERS": max(1, _int("OPEN_DATA_QUARTERS", 8)),
        "OPEN_DATA_PUBLISHER": os.environ.get("OPEN_DATA_PUBLISHER") or "Counter feedback",
        "OPEN_DATA_CONTACT_NAME": os.environ.get("OPEN_DATA_CONTACT_NAME") or "Open data contact",
        "OPEN_DATA_CONTACT_EMAIL": _open_data("OPEN_DATA_CONTACT_EMAIL"),
        "OPEN_DATA_BUREAU_CODE": _open_data("OPEN_DATA_BUREAU_CODE"),
        "OPEN_DATA_PROGRAM_CODE": _open_data("OPEN_DATA_PROGRAM_CODE"),
        "OPEN_DATA_LICENSE": os.environ.get("OPEN_DATA_LICENSE")
        or "https://creativecommons.org/publicdomain/zero/1.0/",
        # The cache the nodes share (feedback/cache.py, Flask-Caching): Redis at REDIS_URL, else each
        # process's memory. A Redis that does not answer costs REDIS_TIMEOUT_SECONDS, then is left
        # alone for CACHE_RETRY_SECONDS while pages are rendered from the database.
        **_cache_settings(),
        # Backups (feedback/services/backup.py, ``flask backup``): where they go, and how many of the
        # newest are kept there.
        "BACKUP_DIR": os.environ.get("BACKUP_DIR") or str(instance_path / "backups"),
        "BACKUP_KEEP": _int("BACKUP_KEEP", 14),
        # Records retention (feedback/services/retention.py): comment text and audit entries older than
        # this many days are purged; 0 (the default) keeps them forever. Schedules differ by agency.
        "RETENTION_COMMENT_DAYS": _int("RETENTION_COMMENT_DAYS", 0),
        "RETENTION_AUDIT_DAYS": _int("RETENTION_AUDIT_DAYS", 0),
        # Observability (feedback/request_log.py, feedback/metrics_view.py): every log record as one
        # JSON line (production) or plain text (development); /metrics answers only a bearer of
        # METRICS_TOKEN, and 404 while it is unset, so nothing is exposed by default.
        "LOG_FORMAT": _log_format(production),
        "METRICS_TOKEN": _metrics_token(),
    }
