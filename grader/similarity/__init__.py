"""Similarity between the submissions of a class: shared code (winnowing) and shared failures."""
