"""hw1 churn prediction service (Flask reference solution)."""
