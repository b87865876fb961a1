"""Grading one submission: context, stage orchestration, locks."""
