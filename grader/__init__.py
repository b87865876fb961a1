"""mlops-course grader."""
