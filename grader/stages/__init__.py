"""The grading stages, in order: install, static, tests, hidden, load."""
