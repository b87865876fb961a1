"""TODO(hw3, tasks 1-2): one pure-ASGI middleware for what every request needs.

* request id: take the caller's ``X-Request-ID`` (1-128 visible ASCII characters) unchanged, else
  generate one; return it in the response's ``X-Request-ID`` header, on every response;
* metrics: count and time the request by method, route template and status (app/metrics.py),
  when the last ``http.response.body`` message goes out rather than after the app returns (the
  app may still run teardown after the client has its answer, and a scrape must already see it);
* logs: one JSON line ``request finished`` with ``method``, ``route``, ``status`` and
  ``duration_ms``; every line written while serving the request carries its ``request_id``
  (a ``contextvars.ContextVar`` read by a logging filter, app/logs.py).

Add it in ``create_app`` (app/main.py) *last*, so that it is the outermost layer and sees every
response, the 413s of the body-size limit included.
"""
