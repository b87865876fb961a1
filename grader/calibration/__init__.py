"""The calibration services: plain, reasonable implementations of the churn contract.

Load thresholds are relative to what a calibration service achieves on the same machine in the same
run. ``app`` is the plain one (hw1, hw2); ``instrumented`` adds hw3's metrics, request ids and JSON
logs. A rubric names its variant in ``[stages.load] calibration``.
"""
