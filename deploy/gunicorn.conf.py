"""gunicorn settings for `make run` and the systemd unit (see deploy/README.md)."""
import multiprocessing
import os
import shutil
from pathlib import Path

bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"


def default_workers(cores, database_url):
    """Sync workers for `cores`. On SQLite a page's reads never wait (the database is a
    local file in the page cache): a worker a core, and one more for a request that waits
    on the SMS gateway, the payment provider (up to 10 s) or the write lock (up to 5 s);
    never fewer than 3, so that two such requests leave a worker for the pages. More only
    take turns on the cores and evict each other's caches: on 2 cores, 5 workers served the
    dashboard at 649 requests a second and 3 at 798 to 810 (the demo dashboard under wrk, 6
    Dec 2026), each request costing 2.9 against 2.3 ms of CPU. On PostgreSQL each query
    waits for the server, so gunicorn's 2 × cores + 1 keeps the cores busy during the
    waits."""
    if database_url.startswith(("postgres://", "postgresql://")):
        return cores * 2 + 1
    return max(cores + 1, 3)


workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers(
    multiprocessing.cpu_count(), os.environ.get("PORTAL_DATABASE_URL", "")))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
max_requests = 50_000  # recycle workers now and then, so a slow leak can never grow,
# but seldom: a new worker spends about 0.4 s of CPU importing and warming the app
max_requests_jitter = 5_000
# No access log: the app writes one JSON line per request itself (portal/ops/logs.py),
# with its request id and without the address's values, which may hold numbers.
accesslog = None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """The app is loaded: move its long-lived objects (modules, routes, catalogs) out of the
    garbage collector's rounds, which otherwise walk them again and again under load
    (about 5% of a report page's CPU, see `make bench`)."""
    import gc
    gc.freeze()


FREEZE_AFTER = 500  # requests: by then a worker has compiled the pages of each language


def post_request(worker, req, environ, resp):
    """Once a worker has served its first requests, freeze what they made to last (each
    language's compiled pages, the prepared queries' SQL, the URL caches) as well: they
    come after post_worker_init's freeze, and every full collection would walk them."""
    worker.served = getattr(worker, "served", 0) + 1
    if worker.served == FREEZE_AFTER:
        import gc
        gc.collect()
        gc.freeze()


# prometheus-client's multiprocess mode: each worker keeps its counts in a file of this
# folder and /metrics adds them all up. Set here, before any worker imports the app;
# portal.service gives it /run/portal/metrics (RuntimeDirectory), emptied at every start.
METRICS_DIR = Path(os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(__file__).resolve().parent.parent / "instance"
                                    / "metrics")))


def on_starting(server):
    """A new master: the counts start from zero (Prometheus reads a restart as one)."""
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir(mode=0o700, parents=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
