"""Shared configuration of the grader's tests."""

import pytest

from tests.grader.references import ReferenceReports

# fixtures/ holds submissions to grade (with their own tests and conftest.py files), not tests of this repo.
collect_ignore = ["fixtures"]


@pytest.fixture(scope="session")
def reference_reports() -> ReferenceReports:
    """The session's cache of graded reference solutions (grade the references once)."""
    return ReferenceReports()
