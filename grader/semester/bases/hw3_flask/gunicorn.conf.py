"""gunicorn's settings for the churn service; ``python -m app.serve`` starts gunicorn with them.

The command line sets the address, workers and threads; this file adds what only a configuration
file can: the JSON logging of ``app/jsonlog.py`` for gunicorn's own messages (its access log
stays off: the service writes a better line per request), and the bookkeeping prometheus-client's
multiprocess mode needs when a worker or the whole server goes away.
"""

import os
import shutil

from prometheus_client import multiprocess

from app.jsonlog import LOGGING

logconfig_dict = LOGGING
# No runtime control socket in $HOME (gunicorn >= 25.1 opens one by default): the container's
# user has no home, and nothing here needs `gunicornc`.
control_socket_disable = True


def child_exit(server, worker):
    """A worker is gone: its live gauges (requests in flight, model info) stop counting."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory ``app.serve`` made for this run (not one it was given)."""
    if os.environ.get("CHURN_METRICS_DIR_OWNED") == "1":
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
