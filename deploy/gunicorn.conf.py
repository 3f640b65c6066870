"""gunicorn settings for `make run` and the systemd unit (see deploy/README.md)."""
import multiprocessing
import os

bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"
# Sync workers: each request is short and the database is local.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
max_requests = 50_000  # recycle workers now and then, so a slow leak can never grow,
# but seldom: a new worker spends about 0.4 s of CPU importing and warming the app
max_requests_jitter = 5_000
accesslog = "-"
# The log line leaves out query strings, which may hold numbers.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """The app is loaded: move its long-lived objects (modules, routes, catalogs) out of the
    garbage collector's rounds, which otherwise walk them again and again under load
    (about 5% of a report page's CPU, see `make bench`)."""
    import gc
    gc.freeze()
