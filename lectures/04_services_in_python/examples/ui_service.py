"""A small web page for the churn model, styled with Bootstrap, served by the same FastAPI app.

* ``GET /`` renders an HTML form (Jinja2 template ``ui/templates/index.html``) whose fields and
  choices come from the API's pydantic schema (``fastapi_service.Customer``), so the page cannot
  offer a value the API would reject.
* ``POST /predict`` is the API: a JSON body gets a JSON answer. The page's form posts to the same
  endpoint as ``application/x-www-form-urlencoded``; then the same validation runs on the form's
  text values and the answer is the page again, with the prediction or the fields to fix.
* Bootstrap's CSS is **vendored** in ``ui/static/vendor/bootstrap/`` (from the npm package, with
  its licence) and served from ``/static``: the page loads nothing from a CDN, so it works
  offline, on an internal network, and without telling a third party who uses it.

Run: uv run python lectures/04_services_in_python/examples/ui_service.py
(starts uvicorn on 127.0.0.1 and a free port; open the printed address, Ctrl+C to stop).
"""

from __future__ import annotations

import socket
import sys
import typing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sklearn.pipeline import Pipeline

if (HERE := str(Path(__file__).resolve().parent)) not in sys.path:
    sys.path.insert(0, HERE)  # when loaded by path (as the tests do), find the shared modules
from churn_model import FEATURES, train_from_csv
from fastapi_service import Customer

UI = Path(__file__).resolve().parent / "ui"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
THRESHOLD = 0.5


def choices(field: str) -> list[str] | None:
    """The allowed values of a Literal field (a drop-down), or None for a free number."""
    annotation = Customer.model_fields[field].annotation
    args = typing.get_args(annotation)
    return [str(a) for a in args] if typing.get_origin(annotation) is typing.Literal else None


def form_fields() -> list[dict[str, Any]]:
    """What the template needs to draw one input per feature."""
    fields = []
    for name in FEATURES:
        field = Customer.model_fields[name]
        options = choices(name)
        if options is None and any(getattr(m, "le", None) == 1 for m in field.metadata):
            options = ["0", "1"]  # a 0/1 flag
        fields.append({"name": name, "label": name.replace("_", " "), "options": options,
                       "required": field.is_required()})  # fmt: skip
    return fields


def from_form(body: bytes) -> dict[str, Any]:
    """Form text to the JSON types the schema expects: numbers parsed, empty means missing."""
    values: dict[str, Any] = {}
    for key, text in parse_qsl(body.decode(), keep_blank_values=True):
        text = text.strip()
        if text == "":
            values[key] = None
            continue
        try:
            number = float(text)
        except ValueError:
            values[key] = text
            continue
        values[key] = int(number) if number.is_integer() and "charges" not in key else number
    return values


def create_app(model: Pipeline) -> FastAPI:
    """The API and its page, sharing one model and one schema."""
    import pandas as pd

    app = FastAPI(title="Churn service with a page (lecture 4)")
    app.mount("/static", StaticFiles(directory=UI / "static"), name="static")
    templates = Jinja2Templates(directory=UI / "templates")

    def score(customer: Customer) -> float:
        row = pd.DataFrame([customer.model_dump(include=set(FEATURES))])[FEATURES]
        return float(model.predict_proba(row)[0, 1])

    def page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("values", {})
        return templates.TemplateResponse(
            request, "index.html", {"fields": form_fields(), **context}, status_code=status
        )

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        return page(request)

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        is_form = request.headers.get("content-type", "").startswith(FORM_CONTENT_TYPE)
        body = await request.body()
        try:
            raw = from_form(body) if is_form else await request.json()
            customer = Customer.model_validate(raw)
        except ValidationError as error:
            bad = sorted({str(e["loc"][0]) for e in error.errors() if e["loc"]})
            if is_form:
                return page(request, 422, errors=bad, values=raw)
            return JSONResponse({"detail": error.errors(include_url=False)}, status_code=422)
        except ValueError:  # not JSON at all
            return JSONResponse({"detail": "body must be JSON or a form"}, status_code=422)
        probability = score(customer)
        if is_form:
            return page(request, probability=probability, churn=probability >= THRESHOLD,
                        values=raw)  # fmt: skip
        return JSONResponse({"churn_probability": probability, "churn": probability >= THRESHOLD})

    return app


def main() -> None:
    """Serve on 127.0.0.1 and a free port until Ctrl+C."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    print(f"open http://127.0.0.1:{port}/")
    uvicorn.run(create_app(train_from_csv()), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
