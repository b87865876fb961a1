"""Checks of a submission: black-box checks run from the grader's process against its running service,
and static checks of its files read as data (the CI/CD workflow and pre-commit configuration)."""
