"""Request and response models: the service contract (tests/public/contract.json) in pydantic.

Every rule lives here, so bad input becomes a 422 whose ``loc`` names the offending field before
the model ever sees it. Validation is strict on purpose: JSON ``"12"`` is not a tenure and
``true`` is not a 0/1 flag (``12.0`` is accepted as an integer, as JSON Schema does). Strings
that are not valid Unicode (a lone surrogate such as ``"\\ud800"``) are rejected by pydantic's
strict ``str``, so nothing unencodable is ever echoed back.

Batch size: more than ``MAX_BATCH_SIZE`` customers is a **422** (``too_long`` at
``["body", "customers"]``), like every other validation error. A request *body* above the
configured byte limit is rejected earlier with **413** (``app.errors``), without parsing it.

hw2 adds the stored side: every prediction carries the ``id`` of its record
(:class:`StoredPrediction`), and ``GET /predictions`` pages through stored records
(:class:`PredictionRecord`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

MAX_BATCH_SIZE = 1000
MAX_CUSTOMER_ID_LENGTH = 64
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100


def _integral_float_to_int(value: Any) -> Any:
    """JSON Schema counts ``12.0`` as an integer, pydantic's strict int does not: bridge that.

    Only floats with an integral value are converted; ``12.5``, ``"12"`` and ``true`` still fail.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# JSON integers: strict (no strings, no booleans), but 12.0 is 12, as in JSON Schema. The range
# comes before the BeforeValidator so that it lands in the JSON schema as minimum/maximum.
# Flags are not Literal[0, 1]: that would let ``true`` through (True == 1 in Python).
_to_int = BeforeValidator(_integral_float_to_int)
Flag = Annotated[StrictInt, Field(ge=0, le=1, json_schema_extra={"enum": [0, 1]}), _to_int]
Tenure = Annotated[StrictInt, Field(ge=0, le=120), _to_int]
YesNoPhone = Literal["No", "No phone service", "Yes"]
YesNoInternet = Literal["No", "No internet service", "Yes"]


def _no_nul(value: str) -> str:
    """PostgreSQL text cannot hold NUL characters: such an id is invalid input (422), not a 500."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


CustomerId = Annotated[
    str, Field(min_length=1, max_length=MAX_CUSTOMER_ID_LENGTH), AfterValidator(_no_nul)
]

EXAMPLE_CUSTOMER: dict[str, Any] = {
    "customer_id": "7590-VHVEG",
    "female": 1,
    "senior_citizen": 0,
    "partner": 1,
    "dependents": 0,
    "tenure": 1,
    "phone_service": 0,
    "multiple_lines": "No phone service",
    "internet_service": "DSL",
    "online_security": "No",
    "online_backup": "Yes",
    "device_protection": "No",
    "tech_support": "No",
    "streaming_tv": "No",
    "streaming_movies": "No",
    "contract": "Month-to-month",
    "paperless_billing": 1,
    "payment_method": "Electronic check",
    "monthly_charges": 29.85,
    "total_charges": 29.85,
}


class Customer(BaseModel):
    """One customer's 19 features (all required; ``total_charges`` may be null)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [EXAMPLE_CUSTOMER]},
    )

    # Optional, but a string when present (JSON null is rejected, as in the contract).
    customer_id: CustomerId = Field(
        default=None,  # type: ignore[assignment]
        description="optional caller-side id, echoed back, ignored by the model",
    )
    female: Flag = Field(description="1 if the customer is female, else 0")
    senior_citizen: Flag = Field(description="1 if the customer is 65 or older")
    partner: Flag = Field(description="1 if the customer has a partner")
    dependents: Flag = Field(description="1 if the customer has dependents")
    tenure: Tenure = Field(description="months with the company")
    phone_service: Flag = Field(description="1 if the customer has a phone line")
    multiple_lines: YesNoPhone = Field(description="more than one phone line")
    internet_service: Literal["DSL", "Fiber optic", "No"] = Field(description="internet access")
    online_security: YesNoInternet = Field(description="online security add-on")
    online_backup: YesNoInternet = Field(description="online backup add-on")
    device_protection: YesNoInternet = Field(description="device protection plan")
    tech_support: YesNoInternet = Field(description="technical support plan")
    streaming_tv: YesNoInternet = Field(description="streams TV")
    streaming_movies: YesNoInternet = Field(description="streams movies")
    contract: Literal["Month-to-month", "One year", "Two year"] = Field(description="contract term")
    paperless_billing: Flag = Field(description="1 if the customer gets paperless bills")
    payment_method: Literal[
        "Bank transfer (automatic)",
        "Credit card (automatic)",
        "Electronic check",
        "Mailed check",
    ] = Field(description="how the customer pays")
    monthly_charges: float = Field(
        ge=0, le=1000, allow_inf_nan=False, description="current monthly bill, USD"
    )
    total_charges: Annotated[float, Field(ge=0, le=200_000, allow_inf_nan=False)] | None = Field(
        description="total billed so far, USD; null for customers with zero tenure"
    )


class BatchRequest(BaseModel):
    """Up to ``MAX_BATCH_SIZE`` customers, scored in order."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"customers": [EXAMPLE_CUSTOMER]}]},
    )

    customers: list[Customer] = Field(min_length=1, max_length=MAX_BATCH_SIZE)


class Prediction(BaseModel):
    """The model's answer for one customer (hw1)."""

    customer_id: str | None = Field(description="the request's customer_id, or null when absent")
    churn: bool = Field(description="true when churn_probability >= the threshold (0.5)")
    churn_probability: float = Field(ge=0, le=1)
    model_version: str


RecordId = Annotated[int, Field(ge=1, description="the id of the stored record")]


class StoredPrediction(Prediction):
    """hw1's prediction plus the id of the record that stores it."""

    id: RecordId


class BatchResponse(BaseModel):
    """One stored prediction per requested customer, in request order."""

    predictions: list[StoredPrediction]
    model_version: str


class PredictionRecord(BaseModel):
    """One stored prediction as ``GET /predictions`` returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: RecordId
    created_at: datetime = Field(description="when it was stored (ISO 8601, with UTC offset)")
    customer_id: str | None
    features: dict[str, Any] = Field(description="the 19 features as received")
    churn: bool
    churn_probability: float = Field(ge=0, le=1)
    model_version: str


class PredictionPage(BaseModel):
    """One page of stored predictions, newest first; fewer than ``limit`` items: the last page."""

    items: list[PredictionRecord]
    limit: int = Field(ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(ge=0)


class Health(BaseModel):
    """``/health`` (liveness) and ``/ready`` (readiness) when all is well."""

    status: Literal["ok"] = "ok"


class FeatureInfo(BaseModel):
    """How one model feature is sent in a request."""

    name: str
    type: Literal["integer", "number", "string"]
    nullable: bool = False
    allowed: list[Any] | None = Field(default=None, description="the accepted values, if a set")
    minimum: int | float | None = None
    maximum: int | float | None = None
    description: str | None = None


class Metrics(BaseModel):
    """Golden metrics recorded by the training script (model/metrics.json)."""

    model_config = ConfigDict(extra="allow")

    roc_auc: float = Field(ge=0, le=1)
    accuracy: float = Field(ge=0, le=1)


class ModelInfo(BaseModel):
    """What is being served."""

    name: str
    version: str
    threshold: float
    features: list[FeatureInfo]
    metrics: Metrics


class ErrorMessage(BaseModel):
    """A non-validation error (404, 413, 503, ...)."""

    detail: str


def feature_schema() -> list[FeatureInfo]:
    """The 19 features as the API accepts them, derived from :class:`Customer` itself."""
    schema = Customer.model_json_schema()
    features = []
    for name, spec in schema["properties"].items():
        if name == "customer_id":
            continue
        variants = spec.get("anyOf", [spec])
        main = next(v for v in variants if v.get("type") != "null")
        features.append(
            FeatureInfo(
                name=name,
                type=main["type"],
                nullable=any(v.get("type") == "null" for v in variants),
                allowed=main.get("enum"),
                minimum=main.get("minimum"),
                maximum=main.get("maximum"),
                description=spec.get("description"),
            )
        )
    return features
