"""Churn service on Starlette: msgspec records for validation, a weight table for scoring."""
