"""The grader's own view of the course model: the reference pipeline and customers made at grading time."""
