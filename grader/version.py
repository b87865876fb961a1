"""The grader's version (from the installed distribution)."""

from importlib.metadata import PackageNotFoundError, version

try:
    GRADER_VERSION = version("mlops-course-grader")
except PackageNotFoundError:  # running from a source tree that is not installed
    GRADER_VERSION = "0+unknown"
