"""hw2 churn prediction service (Flask + SQLAlchemy): hw1's Flask service storing every prediction."""
