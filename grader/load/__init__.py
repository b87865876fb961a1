"""Load testing with locust: the locustfile, running it, and reading its results."""
