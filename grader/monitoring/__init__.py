"""Real Prometheus tooling for the grader and the course's tests.

* :mod:`grader.monitoring.prometheus` — find ``promtool``/``prometheus``, run ``promtool check``
  and ``promtool test rules``, start a real Prometheus on 127.0.0.1 and query its HTTP API;
* :mod:`grader.monitoring.promql` — the metric names a PromQL expression selects;
* :mod:`grader.monitoring.grafana` — the PromQL of a Grafana dashboard, with Grafana's variables
  substituted so that Prometheus can evaluate it;
* :mod:`grader.monitoring.alertmanager` — offline checks of an Alertmanager configuration.
"""
