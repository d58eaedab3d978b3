"""gunicorn configuration for 亲清帮办 (read by deploy/qinqing.service: gunicorn -c deploy/gunicorn.conf.py).

gunicorn sits behind nginx (deploy/nginx.conf) and is never reached directly by a browser.
Everything here is a plain gunicorn setting; see docs/deployment.md, section 二.
"""

import os

# --- where it listens --------------------------------------------------------------------------
# nginx on the same server: loopback only. With a separate nginx host (several application servers,
# docs/deployment.md section 四) set GUNICORN_BIND=<this server's intranet address>:8000 in
# /etc/qinqing/qinqing.env and allow only the nginx hosts through the firewall.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
backlog = 256

# --- processes --------------------------------------------------------------------------------------
# 2 x cores + 1 synchronous workers (5 on the hall's 2-core server). Each worker holds one request
# at a time and one database connection (CONN_MAX_AGE=60). Idle, a worker takes about 65 MB RSS
# (about 35 MB of it its own, the rest shared with the master thanks to preload_app); PDF output and
# large exports add to that while they run. WEB_CONCURRENCY overrides the count.
_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cores + 1))
worker_class = "sync"

# A request that runs longer than this is killed (the worker is restarted). Pages take well under a
# second; exports that need longer run in the background worker (deploy/qinqing-worker.service).
# nginx's proxy_read_timeout (deploy/nginx.conf) is longer than this, so gunicorn decides.
timeout = 60
# On restart or stop, requests in flight get this long to finish before the worker is killed;
# systemd's TimeoutStopSec in deploy/qinqing.service is longer.
graceful_timeout = 30
# Restart each worker after about 1,000 requests; the jitter keeps them from restarting together.
max_requests = 1000
max_requests_jitter = 100

# Import Django once in the master, then fork: less memory, and a broken setting or a missing
# environment variable stops the service at start instead of in every worker. Consequence: new code
# needs `systemctl restart qinqing`, not a reload (HUP forks again from the old code).
preload_app = True

# The heartbeat files live in memory, not on disk (a slow disk must not make workers look hung).
worker_tmp_dir = "/dev/shm"  # noqa: S108 - gunicorn's documented choice; files are private to it

# systemd starts, stops and reloads the service; no runtime control socket is needed.
control_socket_disable = True

# --- behind the proxy -------------------------------------------------------------------------------
# Only nginx may say that the request came over HTTPS (X-Forwarded-Proto). nginx on the same server
# connects from loopback; with separate nginx hosts list their addresses in FORWARDED_ALLOW_IPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# --- logs: to stdout/stderr, which systemd sends to the journal -----------------------------------
accesslog = "-"
errorlog = "-"
loglevel = "info"
# client address as nginx saw it (X-Real-IP, equal to the last X-Forwarded-For hop that the audit
# log records), method, path WITHOUT the query string (search conditions may hold a phone number),
# status, bytes, time in milliseconds. Django's own log lines are masked by qinqing.masking.MaskingLogFilter.
access_log_format = '%({x-real-ip}i)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'

proc_name = "qinqing"


def pre_fork(server, worker):
    """Fork without an open database connection: a connection inherited by several workers would be
    shared between processes. Nothing opens one during start-up today; this keeps it that way."""
    from django.db import connections

    connections.close_all()
