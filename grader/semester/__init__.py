"""A simulated class: synthetic student repositories that rehearse a whole semester of grading."""
