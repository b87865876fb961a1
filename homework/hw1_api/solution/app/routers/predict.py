"""POST /predict and POST /predict/batch.

Both endpoints parse the raw body with pydantic's JSON parser (``model_validate_json``) and return
the serialised response themselves. FastAPI's generic path (``json.loads``, validating Python
objects, re-validating and re-encoding the return value) costs more than the model once the model
is a few microseconds of arithmetic: this is how the reference closes the gap to ``/health``. The
request and response models still document both endpoints in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.dependencies import ModelDep
from app.errors import JSONBodyRoute
from app.model import ChurnModel
from app.schemas import BatchRequest, BatchResponse, Customer, ErrorMessage, Prediction

router = APIRouter(tags=["predict"], route_class=JSONBodyRoute)
Body = TypeVar("Body", bound=BaseModel)


def _documented_body(schema: str) -> dict[str, Any]:
    """``openapi_extra`` declaring a required JSON body of the named component schema."""
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {"requestBody": {"required": True, "content": content}}


VALIDATION_ERROR = {
    "description": "Validation Error",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
    },
}


def _is_json(content_type: str) -> bool:
    """``application/json`` or a ``+json`` media type, parameters (charset) ignored."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def parse_body(request: Request, model: type[Body]) -> Body:
    """Validate the raw body as ``model``; errors become FastAPI's 422 with ``body`` in every loc."""
    body = await request.body()
    if not _is_json(request.headers.get("content-type", "")):
        # What FastAPI answers for a non-JSON body: it is not an object with fields.
        error = {
            "type": "model_attributes_type",
            "loc": ("body",),
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": body.decode("utf-8", "replace")[:100],
        }
        raise RequestValidationError([error])
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _json(document: BaseModel) -> Response:
    return Response(document.model_dump_json(), media_type="application/json")


def _predict(model: ChurnModel, customer: Customer) -> Prediction:
    churn, probability = model.predict(customer.model_dump())
    return Prediction(
        customer_id=customer.customer_id,
        churn=churn,
        churn_probability=probability,
        model_version=model.version,
    )


@router.post(
    "/predict",
    summary="Predict churn for one customer",
    response_model=Prediction,
    responses={422: VALIDATION_ERROR},
    openapi_extra=_documented_body("Customer"),
)
async def predict(request: Request, model: ModelDep) -> Response:
    """Churn class and probability for one customer; ``customer_id`` is echoed back."""
    customer = await parse_body(request, Customer)
    return _json(_predict(model, customer))


@router.post(
    "/predict/batch",
    summary="Predict churn for up to 1000 customers, results in request order",
    response_model=BatchResponse,
    responses={
        413: {"model": ErrorMessage, "description": "request body too large"},
        422: VALIDATION_ERROR,
    },
    openapi_extra=_documented_body("BatchRequest"),
)
async def predict_batch(request: Request, model: ModelDep) -> Response:
    """One prediction per customer, in request order. More than 1000 customers is a 422."""
    batch = await parse_body(request, BatchRequest)
    return _json(
        BatchResponse(
            predictions=[_predict(model, customer) for customer in batch.customers],
            model_version=model.version,
        )
    )
