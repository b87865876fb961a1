"""Shared configuration of the grader's tests."""

# fixtures/ holds submissions to grade (with their own tests and conftest.py files), not tests of this repo.
collect_ignore = ["fixtures"]
