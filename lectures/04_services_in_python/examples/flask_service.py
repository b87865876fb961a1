"""The same churn endpoint in Flask, for comparison with the FastAPI version.

Flask is a WSGI micro-framework: routing and request/response objects, nothing else. Validation
and the API description are yours to add; here a JSON Schema (checked with `jsonschema`) plays
the role pydantic plays in FastAPI. The example uses Flask's built-in test client, which calls
the application in-process: no socket is opened at all.

Run: uv run python lectures/04_services_in_python/examples/flask_service.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
from flask import Flask, jsonify, request
from jsonschema import Draft202012Validator
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find churn_model.py
from churn_model import DATA, train_from_csv

# The request contract: the columns of churn_model.FEATURES and the values each may take.
FLAGS = ["female", "senior_citizen", "partner", "dependents", "phone_service", "paperless_billing"]
NUMERIC = [*FLAGS, "tenure", "monthly_charges", "total_charges"]
ADD_ON = ["No", "No internet service", "Yes"]
CATEGORIES: dict[str, list[str]] = {
    "multiple_lines": ["No", "No phone service", "Yes"],
    "internet_service": ["DSL", "Fiber optic", "No"],
    "online_security": ADD_ON,
    "online_backup": ADD_ON,
    "device_protection": ADD_ON,
    "tech_support": ADD_ON,
    "streaming_tv": ADD_ON,
    "streaming_movies": ADD_ON,
    "contract": ["Month-to-month", "One year", "Two year"],
    "payment_method": [
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    ],
}
CATEGORICAL = list(CATEGORIES)

CUSTOMER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": NUMERIC + CATEGORICAL,
    "properties": {
        **{flag: {"enum": [0, 1]} for flag in FLAGS},
        "tenure": {"type": "integer", "minimum": 0, "maximum": 120},
        "monthly_charges": {"type": "number", "minimum": 0},
        "total_charges": {"type": ["number", "null"], "minimum": 0},
        **{name: {"enum": values} for name, values in CATEGORIES.items()},
    },
}
VALIDATOR = Draft202012Validator(CUSTOMER_SCHEMA)


def create_app(model: Pipeline) -> Flask:
    """A Flask app with /health and /predict around an already fitted model."""
    app = Flask(__name__)

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    @app.post("/predict")
    def predict() -> Any:
        body = request.get_json(silent=True)
        if body is None:
            return jsonify(detail="body must be a JSON object"), 400
        errors = sorted(VALIDATOR.iter_errors(body), key=lambda e: list(e.path))
        if errors:
            detail = [{"loc": list(e.path), "msg": e.message} for e in errors]
            return jsonify(detail=detail), 422
        row = pd.DataFrame([body]).astype(dict.fromkeys(NUMERIC, float))  # null -> NaN
        probability = float(model.predict_proba(row)[0, 1])
        return jsonify(churn=probability >= 0.5, churn_probability=probability)

    return app


def run_demo() -> dict[str, Any]:
    """Exercise the Flask app through its test client and collect the answers."""
    frame = pd.read_csv(DATA)
    frame = pd.concat([frame.head(2), frame[frame["tenure"] == 0].head(1)])  # + a new customer
    bodies = []
    for row in frame[NUMERIC + CATEGORICAL].to_dict(orient="records"):
        row["total_charges"] = None if pd.isna(row["total_charges"]) else row["total_charges"]
        bodies.append(row)
    app = create_app(train_from_csv())
    client = app.test_client()
    good = [client.post("/predict", json=b) for b in bodies]
    bad = client.post("/predict", json=dict(bodies[0], contract="Two years", extra_field=1))
    return {
        "health_status": client.get("/health").status_code,
        "statuses": [r.status_code for r in good],
        "probabilities": [r.get_json()["churn_probability"] for r in good],
        "invalid_status": bad.status_code,
        "invalid_detail": bad.get_json()["detail"],
        "not_json_status": client.post("/predict", data="hello").status_code,
    }


def main() -> None:
    """Print the results of the in-process requests."""
    result = run_demo()
    print(f"GET /health -> {result['health_status']}")
    for status, p in zip(result["statuses"], result["probabilities"], strict=True):
        print(f"POST /predict -> {status}, p(churn)={p:.3f}")
    print(f"invalid body -> {result['invalid_status']}")
    for error in result["invalid_detail"]:
        print(f"  {error['loc'] or '(body)'}: {error['msg']}")
    print(f"non-JSON body -> {result['not_json_status']}")


if __name__ == "__main__":
    main()
