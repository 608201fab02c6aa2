# syntax=docker/dockerfile:1
# One image for every role (README "Deploying"): the web nodes run the CMD below, the one-shot
# migration runs `flask --app feedback.app db upgrade` and the scheduler `flask --app feedback.app
# scheduler`. The builder makes wheels (the project's and the locked requirements/app.txt); the
# final stage installs only those wheels: no compiler, no source checkout, no build tools.

FROM python:3.11-slim AS builder

# Compilers live here only, for a dependency with no binary wheel for the build platform (today
# every pin in requirements/app.txt ships one for CPython 3.11 on amd64 and arm64).
# DL3008 (pin apt versions): Debian drops superseded versions from its archive, so a pin breaks the
# next build; nothing installed here reaches the final image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# The locked dependencies first: this layer is rebuilt only when the lock file changes.
COPY requirements/app.txt requirements/app.txt
RUN pip wheel --wheel-dir /wheels -r requirements/app.txt
# Then the project: its wheel carries the static files, migrations and gunicorn.conf.py as data
# files (setup.cfg [options.data_files]), as .ci/wheel-check proves outside a checkout.
COPY . .
RUN pip wheel --no-deps --wheel-dir /wheels .


FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# The wheels are mounted from the builder for this step only, so none of them stays in a layer.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    --mount=type=bind,source=requirements/app.txt,target=/tmp/app.txt \
    python -m venv /opt/venv \
    && pip install --no-index --find-links=/wheels -r /tmp/app.txt \
    && pip install --no-index --no-deps /wheels/counter_feedback-*.whl

# A system user with no shell and no home of its own; the instance folder (created by the app
# at start) is the only place it may write.
RUN groupadd --system --gid 10001 feedback \
    && useradd --system --uid 10001 --gid feedback --no-create-home \
       --home-dir /var/lib/counter-feedback --shell /usr/sbin/nologin feedback \
    && install -d -o feedback -g feedback -m 0750 /var/lib/counter-feedback /var/lib/counter-feedback/instance

# Production by default: the app then refuses to start without a strong SECRET_KEY. gunicorn
# listens on every interface of the container (the proxy reaches it over the compose network);
# its worker heartbeat files go to memory, not the container's overlay file system.
ENV FEEDBACK_ENV=production \
    INSTANCE_PATH=/var/lib/counter-feedback/instance \
    HOST=0.0.0.0 \
    PORT=8000 \
    GUNICORN_CMD_ARGS="--worker-tmp-dir /dev/shm"

# The wheel's share folder holds gunicorn.conf.py and the migrations; wsgi.py is a module of the
# installed wheel, so `gunicorn -c gunicorn.conf.py wsgi:app` works from here.
WORKDIR /opt/venv/share/counter-feedback
USER 10001:10001
EXPOSE 8000

# Liveness only (/livez): a database outage is the proxy's business (/readyz takes a node out of
# the pool), and restarting a node cannot mend it. The slim image has no curl: Python asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/livez', timeout=4)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
