"""Errors, one job per module: `classes` (the AppError family, each problem's code and title),
`validation` (validation errors in Chinese words), `database` (a value the database refuses),
`html` (the registry of pages for people under a path prefix) and `handlers` (problem+json and the
app's exception handlers). Import from here: `from app.core.errors import NotFound`.
"""

from app.core.errors.classes import (
    AppError,
    BodyTooLarge,
    Conflict,
    Forbidden,
    InputRefused,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
    for_status,
)
from app.core.errors.database import database_value_error
from app.core.errors.handlers import (
    PROBLEM_JSON,
    app_error_response,
    body_too_large_response,
    input_refused_response,
    install_error_handlers,
    internal_error_response,
    problem,
)
from app.core.errors.html import HtmlErrorPage, html_error_page, register_html_errors
from app.core.errors.validation import field_errors, field_label, register_labels, validation_detail

__all__ = [
    "PROBLEM_JSON",
    "AppError",
    "BodyTooLarge",
    "Conflict",
    "Forbidden",
    "HtmlErrorPage",
    "InputRefused",
    "InternalError",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "UnsupportedMediaType",
    "app_error_response",
    "body_too_large_response",
    "database_value_error",
    "field_errors",
    "field_label",
    "for_status",
    "html_error_page",
    "input_refused_response",
    "install_error_handlers",
    "internal_error_response",
    "problem",
    "register_html_errors",
    "register_labels",
    "validation_detail",
]
