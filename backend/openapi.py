"""The OpenAPI 3 document of the backend, served at GET /api/v1/openapi.json.

Written by hand next to the handlers (a test checks that every registered route is documented).
"""

from __future__ import annotations

from typing import Any

from backend.schemas import (
    CASE_TYPES,
    CHANNELS,
    COUNTRIES,
    LANGUAGES,
    MAX_BODY_BYTES,
    MAX_COMPANY,
    MAX_CONVERSATION_ID,
    MAX_DESCRIPTION,
    MAX_DETAIL_VALUE,
    MAX_EMAIL,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_REASON,
    STATUSES,
)

ERROR_CODES = [
    "already_extended", "already_verified", "anonymous_not_allowed", "anonymous_with_requester",
    "case_closed", "case_expired", "case_not_found", "code_expired", "extension_not_allowed",
    "extension_too_late", "field_too_long", "forbidden", "idempotency_key_required",
    "idempotency_key_reused", "internal_error", "invalid_channel", "invalid_code", "invalid_conversation_id", "invalid_country",
    "invalid_datetime", "invalid_email", "invalid_field", "invalid_idempotency_key", "invalid_json",
    "invalid_language", "invalid_parameter", "invalid_status", "invalid_transition", "method_not_allowed",
    "missing_field", "not_found", "payload_too_large", "reason_required", "requester_email_required",
    "requester_required", "resend_limited", "too_many_attempts", "try_again", "unauthorized",
    "unknown_case_type", "unknown_field", "unsupported_media_type",
]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"description": description or "OK", "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_TS = {"type": "string", "format": "date-time"}
_TS_NULL = {"type": "string", "format": "date-time", "nullable": True}
_REFERENCE_PARAM = {
    "name": "reference", "in": "path", "required": True,
    "schema": {"type": "string", "example": "PRV-2026-7K3Q-9CX9"},
}
_COMMON_ERRORS = {
    "400": _error("bad input (see error.code)"),
    "401": _error("unauthorized: missing or wrong token"),
    "403": _error("forbidden: wrong kind of token"),
    "413": _error("payload_too_large: body over 64 KB"),
    "415": _error("unsupported_media_type: body is not application/json"),
}


def _op(summary: str, responses: dict[str, Any], *, security: str, body: Any = None,
        params: Any = None, tag: str = "service") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {**responses, **_COMMON_ERRORS}}
    op["security"] = [{security: []}] if security else []
    if body is not None:
        op["requestBody"] = _body(body)
    if params:
        op["parameters"] = params
    return op


def build_openapi() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": ERROR_CODES},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                        "attempts_left": {"type": "integer"},
                        "retry_after": {"type": "integer", "description": "seconds"},
                        "resend_after": _TS,
                    },
                }
            },
        },
        "Requester": {
            "type": "object",
            "nullable": True,
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "maxLength": MAX_NAME},
                "email": {"type": "string", "format": "email", "maxLength": MAX_EMAIL},
                "verified_by_channel": {"type": "boolean", "description": "only with channel teams"},
            },
        },
        "NewCase": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "language", "channel", "country"],
            "properties": {
                "type": {"type": "string", "enum": list(CASE_TYPES)},
                "language": {"type": "string", "enum": list(LANGUAGES)},
                "channel": {"type": "string", "enum": list(CHANNELS)},
                "company": {"type": "string", "maxLength": MAX_COMPANY},
                "country": {"type": "string", "enum": list(COUNTRIES)},
                "requester": _ref("Requester"),
                "anonymous": {"type": "boolean", "default": False,
                              "description": "incident, misconduct and complaint only; no requester then"},
                "details": {
                    "type": "object",
                    "description": f"string values; description up to {MAX_DESCRIPTION} characters, "
                                   f"others up to {MAX_DETAIL_VALUE}; at most 30 fields",
                    "additionalProperties": {"type": "string"},
                },
                "aware_at": {**_TS, "description": "required for incident"},
                "conversation_id": {
                    "type": "string", "minLength": 1, "maxLength": MAX_CONVERSATION_ID,
                    "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:@|;=+/\-]*$",
                    "description": "the chat's conversation id (Rasa sender id) the case was filed from; stored "
                                   "encrypted so a completed erasure case also erases that chat's transcript. "
                                   "Ignored (not stored) for anonymous reports. Bad value: 400 "
                                   "invalid_conversation_id.",
                },
            },
        },
        "CaseCreated": {
            "type": "object",
            "properties": {
                "reference": {"type": "string"},
                "type": {"type": "string", "enum": list(CASE_TYPES)},
                "status": {"type": "string", "enum": list(STATUSES)},
                "language": {"type": "string"},
                "verification": {
                    "type": "object",
                    "properties": {
                        "required": {"type": "boolean"},
                        "expires_at": _TS_NULL,
                        "resend_after": _TS_NULL,
                        "code_sent": {"type": "boolean"},
                    },
                },
                "due_at": _TS_NULL,
                "clocks": {"type": "object", "additionalProperties": _TS},
                "created_at": _TS,
                "receipt": {"type": "string", "description": "anonymous reports only; shown once"},
            },
        },
        "Message": {
            "type": "object",
            "properties": {
                "from": {"type": "string", "enum": ["staff", "requester"]},
                "body": {"type": "string"},
                "created_at": _TS,
                "staff_id": {"type": "integer", "nullable": True, "description": "staff view only"},
            },
        },
        "RequesterStatus": {
            "type": "object",
            "properties": {
                "reference": {"type": "string"},
                "type": {"type": "string"},
                "status": {"type": "string", "enum": list(STATUSES)},
                "due_at": _TS_NULL,
                "created_at": _TS,
                "verified_at": _TS_NULL,
                "extended": {"type": "boolean"},
                "messages": {"type": "array", "items": _ref("Message")},
            },
        },
        "CaseSummary": {
            "type": "object",
            "description": "no personal data",
            "properties": {
                "reference": {"type": "string"},
                "type": {"type": "string"},
                "status": {"type": "string", "enum": list(STATUSES)},
                "language": {"type": "string"},
                "channel": {"type": "string"},
                "country": {"type": "string"},
                "company": {"type": "string", "nullable": True},
                "anonymous": {"type": "boolean"},
                "created_at": _TS,
                "updated_at": _TS,
                "verified_at": _TS_NULL,
                "due_at": _TS_NULL,
                "clocks": {"type": "object", "additionalProperties": _TS},
                "overdue": {"type": "boolean"},
                "extended": {"type": "boolean"},
                "closed_at": _TS_NULL,
            },
        },
        "CaseDetail": {
            "allOf": [
                _ref("CaseSummary"),
                {
                    "type": "object",
                    "properties": {
                        "requester": _ref("Requester"),
                        "details": {"type": "object", "additionalProperties": {"type": "string"}},
                        "aware_at": _TS_NULL,
                        "original_due_at": _TS_NULL,
                        "extension": {"type": "object", "nullable": True},
                        "status_reason": {"type": "string", "nullable": True},
                        "anonymised_at": _TS_NULL,
                        "messages": {"type": "array", "items": _ref("Message")},
                    },
                },
            ]
        },
        "MessageCreated": {
            "type": "object",
            "properties": {"reference": {"type": "string"}, "message_id": {"type": "integer"}, "created_at": _TS},
        },
    }
    code_body = {"type": "object", "required": ["code"], "properties": {"code": {"type": "string", "pattern": "^[0-9]{6}$"}}}
    code_errors = {
        "400": _error("invalid_code (with attempts_left) or bad input"),
        "404": _error("case_not_found"),
        "409": _error("already_verified"),
        "410": _error("code_expired or case_expired"),
        "429": _error("too_many_attempts (5 per code, 10 per address per hour)"),
    }
    paths: dict[str, Any] = {
        "/healthz": {
            "get": {
                "summary": "Liveness and database check", "tags": ["ops"], "security": [],
                "responses": {
                    "200": _json({"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}}),
                    "503": _json({"type": "object"}, "database unavailable"),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {"summary": "This document", "tags": ["ops"], "security": [],
                    "responses": {"200": _json({"type": "object"})}}
        },
        "/api/v1/cases": {
            "post": {
                **_op(
                    "File a case (idempotent)",
                    {
                        "201": _json(_ref("CaseCreated"), "created"),
                        "200": _json(_ref("CaseCreated"), "replay of the same Idempotency-Key and body"),
                        "409": _error("idempotency_key_reused: same key, different body"),
                    },
                    security="serviceToken", body=_ref("NewCase"),
                    params=[{
                        "name": "Idempotency-Key", "in": "header", "required": True,
                        "schema": {"type": "string", "minLength": 8, "maxLength": 128,
                                   "pattern": "^[A-Za-z0-9._:-]{8,128}$"},
                        "description": "responses are replayed for 24 hours",
                    }],
                ),
            }
        },
        "/api/v1/cases/{reference}/verification": {
            "post": _op(
                "Verify a new case with the e-mailed code",
                {
                    "200": _json({"type": "object", "properties": {
                        "reference": {"type": "string"}, "status": {"type": "string"},
                        "due_at": _TS_NULL, "verified_at": _TS,
                        "clocks": {"type": "object", "additionalProperties": _TS}}}),
                    **code_errors,
                },
                security="serviceToken", body=code_body, params=[_REFERENCE_PARAM],
            )
        },
        "/api/v1/cases/{reference}/verification/resend": {
            "post": _op(
                "Send a new verification code",
                {
                    "200": _json({"type": "object", "properties": {"expires_at": _TS, "resend_after": _TS}}),
                    "404": _error("case_not_found"),
                    "409": _error("already_verified"),
                    "410": _error("case_expired"),
                    "429": _error("resend_limited (one per 60 s, 3 codes per address per hour)"),
                },
                security="serviceToken", params=[_REFERENCE_PARAM],
            )
        },
        "/api/v1/status/code": {
            "post": _op(
                "Ask for a status code (always 202; a code goes out only when reference and address match)",
                {"202": _json({"type": "object", "properties": {"sent": {"type": "boolean"}}}, "accepted")},
                security="serviceToken",
                body={"type": "object", "required": ["reference", "email", "language"], "properties": {
                    "reference": {"type": "string"}, "email": {"type": "string", "format": "email"},
                    "language": {"type": "string", "enum": list(LANGUAGES)}}},
                tag="requester",
            )
        },
        "/api/v1/status/verify": {
            "post": _op(
                "Case status with the status code",
                {"200": _json(_ref("RequesterStatus")), **code_errors},
                security="serviceToken",
                body={"type": "object", "required": ["reference", "email", "code"], "properties": {
                    "reference": {"type": "string"}, "email": {"type": "string", "format": "email"},
                    "code": {"type": "string"}}},
                tag="requester",
            )
        },
        "/api/v1/status/receipt": {
            "post": _op(
                "Anonymous report status with the receipt",
                {"200": _json(_ref("RequesterStatus")), "404": _error("case_not_found (also for a wrong receipt)"),
                 "429": _error("too_many_attempts (10 wrong receipts for the reference within an hour)")},
                security="serviceToken",
                body={"type": "object", "required": ["reference", "receipt"], "properties": {
                    "reference": {"type": "string"}, "receipt": {"type": "string", "pattern": "^[0-9]{16}$"}}},
                tag="requester",
            )
        },
        "/api/v1/status/receipt/reply": {
            "post": _op(
                "Anonymous reporter answers staff",
                {"201": _json(_ref("MessageCreated"), "stored"), "404": _error("case_not_found"),
                 "409": _error("case_closed"), "429": _error("too_many_attempts")},
                security="serviceToken",
                body={"type": "object", "required": ["reference", "receipt", "body"], "properties": {
                    "reference": {"type": "string"}, "receipt": {"type": "string"},
                    "body": {"type": "string", "maxLength": MAX_MESSAGE}}},
                tag="requester",
            )
        },
        "/api/v1/staff/cases": {
            "get": _op(
                "Role-scoped case list (no personal data)",
                {"200": _json({"type": "object", "properties": {"cases": {"type": "array", "items": _ref("CaseSummary")}}})},
                security="staffToken", tag="staff",
                params=[
                    {"name": "type", "in": "query", "schema": {"type": "string", "enum": list(CASE_TYPES)}},
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
                    {"name": "language", "in": "query", "schema": {"type": "string", "enum": list(LANGUAGES)}},
                    {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                    {"name": "due_within_days", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                ],
            )
        },
        "/api/v1/staff/cases/{reference}": {
            "get": _op(
                "Full case with decrypted requester data (audited)",
                {"200": _json(_ref("CaseDetail")), "404": _error("case_not_found (also outside the role's scope)")},
                security="staffToken", tag="staff", params=[_REFERENCE_PARAM],
            )
        },
        "/api/v1/staff/cases/{reference}/status": {
            "post": _op(
                "Change the status (reason required for rejected)",
                {"200": _json(_ref("CaseSummary")), "404": _error("case_not_found"),
                 "409": _error("invalid_transition")},
                security="staffToken", tag="staff", params=[_REFERENCE_PARAM],
                body={"type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string", "enum": list(STATUSES)},
                    "reason": {"type": "string", "maxLength": MAX_REASON}}},
            )
        },
        "/api/v1/staff/cases/{reference}/extension": {
            "post": _op(
                "Extend a rights request once by 1 or 2 months (the requester is e-mailed)",
                {"200": _json({"type": "object", "properties": {
                    "reference": {"type": "string"}, "due_at": _TS, "original_due_at": _TS,
                    "extension_months": {"type": "integer"}, "extended_at": _TS}}),
                 "404": _error("case_not_found"),
                 "409": _error("already_extended, extension_not_allowed, extension_too_late or case_closed")},
                security="staffToken", tag="staff", params=[_REFERENCE_PARAM],
                body={"type": "object", "required": ["months", "reason"], "properties": {
                    "months": {"type": "integer", "enum": [1, 2]},
                    "reason": {"type": "string", "maxLength": MAX_REASON}}},
            )
        },
        "/api/v1/staff/cases/{reference}/messages": {
            "post": _op(
                "Message to the requester (e-mailed as a notice without the text)",
                {"201": _json(_ref("MessageCreated"), "stored"), "404": _error("case_not_found")},
                security="staffToken", tag="staff", params=[_REFERENCE_PARAM],
                body={"type": "object", "required": ["body"], "properties": {
                    "body": {"type": "string", "maxLength": MAX_MESSAGE}}},
            )
        },
        "/api/v1/staff/audit/verify": {
            "get": _op(
                "Verify the audit hash chain (privacy officer)",
                {"200": _json({"type": "object", "properties": {
                    "ok": {"type": "boolean"}, "entries": {"type": "integer"},
                    "first_bad_entry": {"type": "integer", "description": "position (seq) of the first bad entry"},
                    "problem": {"type": "string"}}})},
                security="staffToken", tag="staff",
            )
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Privacy assistant case backend",
            "version": "1.0.0",
            "description": (
                "Cases for data-subject rights requests, incidents and reports. Errors are "
                '{"error": {"code", "message"}}; request bodies are JSON objects of at most '
                f"{MAX_BODY_BYTES} bytes."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {
                "serviceToken": {"type": "http", "scheme": "bearer", "description": "BACKEND_SERVICE_TOKEN"},
                "staffToken": {"type": "http", "scheme": "bearer", "description": "personal staff token"},
            },
            "schemas": schemas,
        },
        "paths": paths,
    }
