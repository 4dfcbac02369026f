"""The OpenAPI 3 document of the backend, served at GET /api/v1/openapi.json.

Written by hand next to the handlers (a test checks that every registered route is documented).
"""

from __future__ import annotations

from typing import Any


from backend.schemas import (
    ANONYMOUS_TYPES,
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
    MAX_DETAIL_FIELDS,
    MAX_DUE_WITHIN_DAYS,
    MAX_LIST_LIMIT,
    MAX_OFFSET,
    MAX_REASON,
    STATUSES,
    CODE_PATTERN,
    CONVERSATION_ID_PATTERN,
    IDEMPOTENCY_KEY_PATTERN,
    NOT_BLANK_PATTERN,
    RECEIPT_PATTERN,
    text_pattern,
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


def _text(max_length: int, *, required: bool = False, multiline: bool = False) -> dict[str, Any]:
    """A free-text request field as `schemas.text` checks it: a string without control characters, at
    most `max_length` long; an optional one may be null or empty (both mean absent), a required one must
    hold more than white space."""
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length,
                              "pattern": text_pattern(multiline=multiline, required=required)}
    if not required:
        schema["nullable"] = True
    return schema


# A case reference in a body: anything not blank is looked up (a malformed one is 404 case_not_found).
_REFERENCE_BODY = {"type": "string", "pattern": NOT_BLANK_PATTERN, "example": "PRV-2026-7K3Q-9CXM"}
_EMAIL_BODY = {"type": "string", "format": "email", "maxLength": MAX_EMAIL}
_CODE = {"type": "string", "pattern": CODE_PATTERN, "description": "6 digits (a space after the third is allowed)"}
_RECEIPT = {"type": "string", "pattern": RECEIPT_PATTERN, "description": "16 digits; spaces and dashes allowed"}
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


_NOT_REJECTED = {"properties": {"status": {"not": {"enum": ["rejected"]}}}}
# parse_new_case: who files. An anonymous report (incident, misconduct, complaint only) carries no
# requester data; otherwise the requester gives an e-mail address, or the Teams channel vouches for a
# name or an address. verified_by_channel is for the Teams channel only.
_WHO_FILES = {
    "anyOf": [
        {
            "required": ["anonymous"],
            "properties": {
                "anonymous": {"enum": [True]},
                "type": {"enum": sorted(ANONYMOUS_TYPES)},
                "requester": {
                    "nullable": True,
                    "properties": {
                        "name": {"nullable": True, "pattern": r"^\s*$"},
                        "email": {"nullable": True, "maxLength": 0},
                        "verified_by_channel": {"enum": [False]},
                    },
                },
            },
        },
        {
            "required": ["requester"],
            "properties": {
                "anonymous": {"enum": [False]},
                "requester": {
                    "type": "object",
                    "required": ["email"],
                    "properties": {
                        "email": {"type": "string", "minLength": 1},
                        "verified_by_channel": {"enum": [False]},
                    },
                },
            },
        },
        {
            "required": ["requester", "channel"],
            "properties": {
                "anonymous": {"enum": [False]},
                "channel": {"enum": ["teams"]},
                "requester": {
                    "type": "object",
                    "required": ["verified_by_channel"],
                    "properties": {"verified_by_channel": {"enum": [True]}},
                    "anyOf": [
                        {"required": ["name"], "properties": {"name": {"type": "string", "pattern": NOT_BLANK_PATTERN}}},
                        {"required": ["email"], "properties": {"email": {"type": "string", "minLength": 1}}},
                    ],
                },
            },
        },
    ]
}
_INCIDENT_NEEDS_AWARE_AT = {
    "anyOf": [
        {"properties": {"type": {"not": {"enum": ["incident"]}}}},
        {"required": ["aware_at"], "properties": {"aware_at": {"type": "string"}}},
    ]
}


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
                        "fields": {"type": "array", "items": {"type": "string"}, "description": "unknown_field"},
                        "current_status": {"type": "string", "enum": list(STATUSES)},
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
            "description": "null, {} or only empty values mean no requester",
            "properties": {
                "name": _text(MAX_NAME),
                "email": {"type": "string", "nullable": True, "maxLength": MAX_EMAIL,
                          "anyOf": [{"format": "email"}, {"maxLength": 0}],
                          "description": "an e-mail address; null or empty means none"},
                "verified_by_channel": {"type": "boolean", "description": "only with channel teams"},
            },
        },
        "RequesterView": {
            "type": "object",
            "nullable": True,
            "description": "null when the case carries no requester (anonymous, or anonymised)",
            "required": ["name", "email", "verified_by_channel"],
            "properties": {
                "name": {"type": "string", "nullable": True},
                "email": {"type": "string", "nullable": True},
                "verified_by_channel": {"type": "boolean"},
            },
        },
        "NewCase": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "language", "channel", "country"],
            # The rules across fields that parse_new_case applies, so that a body the document allows is a
            # body the API accepts (aware_at must still not lie in the future: no schema can say "now").
            "allOf": [_WHO_FILES, _INCIDENT_NEEDS_AWARE_AT],
            "properties": {
                "type": {"type": "string", "enum": list(CASE_TYPES)},
                "language": {"type": "string", "enum": list(LANGUAGES)},
                "channel": {"type": "string", "enum": list(CHANNELS)},
                "company": _text(MAX_COMPANY),
                "country": {"type": "string", "enum": list(COUNTRIES)},
                "requester": _ref("Requester"),
                "anonymous": {"type": "boolean", "default": False,
                              "description": "incident, misconduct and complaint only; no requester then"},
                "details": {
                    "type": "object",
                    "nullable": True,
                    "maxProperties": MAX_DETAIL_FIELDS,
                    "description": f"string values (null: left out); keys are lower-case identifiers "
                                   f"(a-z, 0-9, _; 400 invalid_field otherwise); description up to "
                                   f"{MAX_DESCRIPTION} characters, others up to {MAX_DETAIL_VALUE}",
                    "properties": {"description": _text(MAX_DESCRIPTION, multiline=True)},
                    "additionalProperties": _text(MAX_DETAIL_VALUE, multiline=True),
                },
                "aware_at": {**_TS_NULL, "description": "required for incident; not in the future, not before 2000"},
                "conversation_id": {
                    "type": "string", "nullable": True, "minLength": 1, "maxLength": MAX_CONVERSATION_ID,
                    "pattern": CONVERSATION_ID_PATTERN,
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
                        "requester": _ref("RequesterView"),
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
    code_body = {"type": "object", "additionalProperties": False, "required": ["code"], "properties": {"code": _CODE}}
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
                                   "pattern": IDEMPOTENCY_KEY_PATTERN},
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
        "/api/v1/conversations/erasure": {
            "post": _op(
                "Erase a chat conversation the user asked to forget (no case needed; idempotent while pending)",
                {"202": _json({"type": "object", "required": ["delivered"], "properties": {
                    "delivered": {"type": "boolean", "description": "true: Rasa erased it before this answer; "
                                  "false: queued, delivered by the backend's outbox with retries"}}},
                    "queued in the transcript-erasure outbox")},
                security="serviceToken",
                body={"type": "object", "additionalProperties": False, "required": ["conversation_id"],
                      "properties": {"conversation_id": {
                          "type": "string", "minLength": 1, "maxLength": MAX_CONVERSATION_ID,
                          "pattern": CONVERSATION_ID_PATTERN,
                          "description": "the chat's Rasa sender id; in the body so no access log holds it"}}},
            )
        },
        "/api/v1/status/code": {
            "post": _op(
                "Ask for a status code (always 202; a code goes out only when reference and address match)",
                {"202": _json({"type": "object", "properties": {"sent": {"type": "boolean"}}}, "accepted")},
                security="serviceToken",
                body={"type": "object", "additionalProperties": False,
                      "required": ["reference", "email", "language"], "properties": {
                          "reference": _REFERENCE_BODY, "email": _EMAIL_BODY,
                          "language": {"type": "string", "enum": list(LANGUAGES)}}},
                tag="requester",
            )
        },
        "/api/v1/status/verify": {
            "post": _op(
                "Case status with the status code",
                {"200": _json(_ref("RequesterStatus")), **code_errors},
                security="serviceToken",
                body={"type": "object", "additionalProperties": False,
                      "required": ["reference", "email", "code"], "properties": {
                          "reference": _REFERENCE_BODY, "email": _EMAIL_BODY, "code": _CODE}},
                tag="requester",
            )
        },
        "/api/v1/status/receipt": {
            "post": _op(
                "Anonymous report status with the receipt",
                {"200": _json(_ref("RequesterStatus")), "404": _error("case_not_found (also for a wrong receipt)"),
                 "429": _error("too_many_attempts (10 wrong receipts for the reference within an hour)")},
                security="serviceToken",
                body={"type": "object", "additionalProperties": False, "required": ["reference", "receipt"],
                      "properties": {"reference": _REFERENCE_BODY, "receipt": _RECEIPT}},
                tag="requester",
            )
        },
        "/api/v1/status/receipt/reply": {
            "post": _op(
                "Anonymous reporter answers staff",
                {"201": _json(_ref("MessageCreated"), "stored"), "404": _error("case_not_found"),
                 "409": _error("case_closed"), "429": _error("too_many_attempts")},
                security="serviceToken",
                body={"type": "object", "additionalProperties": False,
                      "required": ["reference", "receipt", "body"], "properties": {
                          "reference": _REFERENCE_BODY, "receipt": _RECEIPT,
                          "body": _text(MAX_MESSAGE, required=True, multiline=True)}},
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
                    {"name": "due_within_days", "in": "query",
                     "schema": {"type": "integer", "minimum": 0, "maximum": MAX_DUE_WITHIN_DAYS}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST_LIMIT}},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}},
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
                body={"type": "object", "additionalProperties": False, "required": ["status"],
                      # rejected needs a reason (400 reason_required)
                      "anyOf": [_NOT_REJECTED, {"required": ["reason"], "properties": {"reason": {
                          "type": "string", "pattern": NOT_BLANK_PATTERN}}}],
                      "properties": {
                    "status": {"type": "string", "enum": list(STATUSES)},
                    "reason": {**_text(MAX_REASON, multiline=True), "description": "required for rejected"}}},
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
                body={"type": "object", "additionalProperties": False, "required": ["months", "reason"],
                      "properties": {"months": {"type": "integer", "enum": [1, 2]},
                                     "reason": _text(MAX_REASON, required=True, multiline=True)}},
            )
        },
        "/api/v1/staff/cases/{reference}/messages": {
            "post": _op(
                "Message to the requester (e-mailed as a notice without the text)",
                {"201": _json(_ref("MessageCreated"), "stored"), "404": _error("case_not_found")},
                security="staffToken", tag="staff", params=[_REFERENCE_PARAM],
                body={"type": "object", "additionalProperties": False, "required": ["body"], "properties": {
                    "body": _text(MAX_MESSAGE, required=True, multiline=True)}},
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
