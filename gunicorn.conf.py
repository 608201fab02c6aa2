"""gunicorn settings from the environment (see README for the variables)."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# The app logs every request itself, one line each (feedback/request_log.py: route, never the path
# or query string, which can carry an enrolment code or a token); gunicorn's own access log (the
# raw request line) only when GUNICORN_ACCESSLOG names a file, or "-" for stderr.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
# Behind a load balancer: trust its X-Forwarded-* headers only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's largest request line: the app answers URLs over MAX_URL_LENGTH (4000) itself with 414
# problem+json; only lines over this get gunicorn's bare HTML answer.
limit_request_line = 8190
# gunicorn 25.1+ opens a control socket, by default at one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl), so a second instance on the host would take the first one's over.
# None unless GUNICORN_CONTROL_SOCKET names a path of this instance's own (older gunicorns
# ignore both settings).
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")


# Metrics under several workers (feedback/metrics_view.py): with PROMETHEUS_MULTIPROC_DIR set, each
# worker writes its counters to files there and a scrape adds them up. The folder must be this
# instance's own: emptied when the server starts (counters start again from zero, as a restart
# means to Prometheus), and a dead worker's files marked so its live values drop out.
def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
