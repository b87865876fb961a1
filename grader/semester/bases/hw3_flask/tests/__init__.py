"""The service's own tests (the course's public tests live in tests/public/)."""
