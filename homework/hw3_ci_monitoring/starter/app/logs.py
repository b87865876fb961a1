"""TODO(hw3, task 2): JSON logs on standard output, one object per line.

Every line: ``ts`` (ISO 8601 with a UTC offset), ``level``, ``logger``, ``message`` and
``request_id`` (``null`` outside a request). Use a maintained formatter (``python-json-logger``
is installed: ``pythonjsonlogger.json.JsonFormatter``), and give uvicorn the same configuration
(``uvicorn.run(..., log_config=...)`` in app/cli.py) with its access log off: your middleware
writes the per-request line instead.
"""
