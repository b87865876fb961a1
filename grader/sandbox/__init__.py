"""Running untrusted submission processes: capability detection, limits, isolation, cleanup."""

from grader.sandbox.capabilities import Isolation, detect_isolation
from grader.sandbox.runner import Limits, ProcessResult, Sandbox

__all__ = ["Isolation", "Limits", "ProcessResult", "Sandbox", "detect_isolation"]
