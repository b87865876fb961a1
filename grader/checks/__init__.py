"""Black-box checks run from the grader's process against a submission's running service."""
