"""Grade reports: the JSON source of truth and its renderings (Markdown, JUnit XML, Gradescope)."""
