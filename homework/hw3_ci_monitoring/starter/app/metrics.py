"""TODO(hw3, task 1): the service's Prometheus metrics (``prometheus-client`` is installed).

Export the families of ``observability.metrics`` in ``tests/public/contract.json`` with exactly
those names, types and labels:

* ``http_requests_total{method, route, status}`` (counter) and
  ``http_request_duration_seconds{method, route}`` (histogram, buckets around the 250 ms target)
  for every request but those to ``/metrics``;
* ``http_requests_in_progress`` (gauge);
* ``predictions_total{outcome}`` (counter: ``churn``/``no_churn``) and ``prediction_probability``
  (histogram) for every *stored* prediction;
* ``model_info{version}`` (gauge, 1).

``route`` is the route *template* (``/predictions/{id}``, never ``/predictions/17``); every path
that matches no route is ``__unmatched__``. Use a ``CollectorRegistry`` of the application's own
(tests create many applications in one process), and a pure ASGI middleware (app/middleware.py).
"""
