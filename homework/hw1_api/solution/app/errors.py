"""The 422 handler: FastAPI's own, made safe for echoes that JSON cannot carry.

FastAPI answers a validation error with ``{"detail": exc.errors()}``, and every error item echoes
the offending ``input``. Python's ``json`` module happily parses ``NaN``, ``Infinity`` and ``1e999``
and keeps lone surrogates (``"\\ud800"``) in strings, pydantic rightly rejects those values — and
then FastAPI's default handler cannot encode its own 422 body (the response encoder forbids
NaN/Infinity and needs valid UTF-8): the client gets a 500. This handler answers exactly what
FastAPI would, and only when that fails, the same items without their ``input`` echoes.
"""

from __future__ import annotations

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


async def validation_exception_handler(
    request: Request, exc: RequestValidationError
) -> JSONResponse:
    """FastAPI's 422 response; its ``input`` echoes are dropped if they are not encodable."""
    try:
        return await request_validation_exception_handler(request, exc)
    except ValueError:  # NaN/Infinity (allow_nan=False) or a lone surrogate (UnicodeEncodeError)
        errors = [{k: v for k, v in error.items() if k != "input"} for error in exc.errors()]
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"detail": jsonable_encoder(errors)},
        )
