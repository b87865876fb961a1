"""The churn service that lecture 6 packs into an image (see ../Dockerfile)."""
