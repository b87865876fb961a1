"""A Streamlit demo page for the churn model: the *embedded* pattern, model inside the app.

Streamlit turns a Python script into a web page and re-runs the script top to bottom on every
widget change. It is a good tool for demos and internal tools, not for a machine-to-machine API.

Run the page:  uv run streamlit run lectures/04_services_in_python/examples/streamlit_app.py
               (serves on localhost; stop it with Ctrl+C)
Run as a script (no browser, prints one prediction):
               uv run python lectures/04_services_in_python/examples/streamlit_app.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find churn_model.py
from churn_model import train_from_csv

CONTRACTS = ["Month-to-month", "One year", "Two year"]
INTERNET = ["DSL", "Fiber optic", "No"]
PAYMENTS = [
    "Bank transfer (automatic)",
    "Credit card (automatic)",
    "Electronic check",
    "Mailed check",
]


def build_customer(
    tenure: int, monthly_charges: float, contract: str, internet_service: str, payment_method: str
) -> dict[str, Any]:
    """A full feature row from the five inputs on the page; other features take typical values."""
    add_on = "No" if internet_service != "No" else "No internet service"
    return {
        "female": 0,
        "senior_citizen": 0,
        "partner": 0,
        "dependents": 0,
        "phone_service": 1,
        "paperless_billing": 1,
        "tenure": tenure,
        "monthly_charges": monthly_charges,
        "total_charges": float(tenure * monthly_charges),
        "multiple_lines": "No",
        "internet_service": internet_service,
        "online_security": add_on,
        "online_backup": add_on,
        "device_protection": add_on,
        "tech_support": add_on,
        "streaming_tv": add_on,
        "streaming_movies": add_on,
        "contract": contract,
        "payment_method": payment_method,
    }


def churn_probability(model: Pipeline, customer: dict[str, Any]) -> float:
    """Probability of churn for one customer dict."""
    return float(model.predict_proba(pd.DataFrame([customer]))[0, 1])


def page() -> None:
    """The Streamlit page: widgets in, probability out."""
    import streamlit as st

    @st.cache_resource
    def cached_model() -> Pipeline:
        return train_from_csv()  # trained once per server process, shared by all sessions

    st.title("Will this customer churn?")
    tenure = st.slider("Tenure (months)", min_value=0, max_value=72, value=12)
    monthly = st.number_input("Monthly charges, USD", min_value=0.0, max_value=200.0, value=70.0)
    contract = st.selectbox("Contract", CONTRACTS)
    internet = st.selectbox("Internet service", INTERNET, index=1)
    payment = st.selectbox("Payment method", PAYMENTS, index=2)
    customer = build_customer(tenure, monthly, contract, internet, payment)
    probability = churn_probability(cached_model(), customer)
    st.metric("Churn probability", f"{probability:.1%}")
    st.caption("Other features are fixed to typical values; see build_customer().")


def main() -> None:
    """Render the page under `streamlit run`; otherwise print one prediction and a hint."""
    from streamlit.runtime import exists

    if exists():
        page()
        return
    model = train_from_csv()
    for contract in CONTRACTS:
        customer = build_customer(12, 70.0, contract, "Fiber optic", "Electronic check")
        print(
            f"tenure 12, fiber, {contract:>14}: p(churn)={churn_probability(model, customer):.3f}"
        )
    print(
        "For the page: uv run streamlit run lectures/04_services_in_python/examples/streamlit_app.py"
    )


if __name__ == "__main__":
    main()
