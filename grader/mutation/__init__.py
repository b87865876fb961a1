"""Planted bugs: mutants of a submission's application code, for scoring its own test suite."""
