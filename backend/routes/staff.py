"""Staff API (personal bearer tokens, role-scoped)."""

from __future__ import annotations

import re
from typing import Optional

from aiohttp import web

from backend import schemas
from backend.models import StaffUser
from backend.routes.common import json_response, read_object, services
from backend.schemas import ApiError
from backend.services import cases
from backend.services.staff import authenticate_staff

routes = web.RouteTableDef()

# The list's limits live in schemas.py with the other limits; the OpenAPI document publishes them.
MAX_LIST_LIMIT = schemas.MAX_LIST_LIMIT
MAX_DUE_WITHIN_DAYS = schemas.MAX_DUE_WITHIN_DAYS
MAX_OFFSET = schemas.MAX_OFFSET
_INTEGER_RE = re.compile(r"^-?[0-9]{1,12}\Z")


async def _staff(request: web.Request) -> StaffUser:
    return await authenticate_staff(services(request), request.headers.get("Authorization"))


def _int_param(request: web.Request, name: str, default: Optional[int], low: int, high: int) -> Optional[int]:
    raw = request.query.get(name)
    if raw is None:
        return default
    # Digits only (an optional minus sign): int() would also take " 5", "+5", "5_0" and other scripts' digits.
    if not _INTEGER_RE.match(raw):
        raise ApiError(400, "invalid_parameter", f"{name} must be an integer", field=name)
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name} must be an integer", field=name) from None
    if not low <= value <= high:
        raise ApiError(400, "invalid_parameter", f"{name} must be between {low} and {high}", field=name)
    return value


def _filters(request: web.Request) -> cases.CaseFilter:
    query = request.query
    allowed = {"type", "status", "language", "overdue", "due_within_days", "limit", "offset"}
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise ApiError(400, "invalid_parameter", f"unknown query parameter(s): {', '.join(unknown[:5])}")
    repeated = sorted(name for name in allowed if len(query.getall(name, [])) > 1)
    if repeated:
        raise ApiError(400, "invalid_parameter", f"query parameter(s) given more than once: {', '.join(repeated)}")
    # An empty value is not one of the enum's values: 400 like any other value outside it.
    case_type = schemas.choice(query, "type", schemas.CASE_TYPES, "unknown_case_type", required=False)
    status = schemas.choice(query, "status", schemas.STATUSES, "invalid_status", required=False)
    language = schemas.choice(query, "language", schemas.LANGUAGES, "invalid_language", required=False)
    overdue_raw = query.get("overdue", "false")
    if overdue_raw not in ("true", "false"):
        raise ApiError(400, "invalid_parameter", "overdue must be true or false", field="overdue")
    return cases.CaseFilter(
        type=case_type,
        status=status,
        language=language,
        overdue=overdue_raw == "true",
        due_within_days=_int_param(request, "due_within_days", None, 0, MAX_DUE_WITHIN_DAYS),
        limit=_int_param(request, "limit", 200, 1, MAX_LIST_LIMIT) or 200,
        offset=_int_param(request, "offset", 0, 0, MAX_OFFSET) or 0,
    )


@routes.get("/api/v1/staff/cases")
async def list_cases(request: web.Request) -> web.Response:
    staff = await _staff(request)
    filters = _filters(request)
    return json_response({"cases": await cases.list_cases(services(request), staff, filters)})


@routes.get("/api/v1/staff/cases/{reference}")
async def get_case(request: web.Request) -> web.Response:
    staff = await _staff(request)
    reference = schemas.path_reference(request.match_info["reference"])
    return json_response(await cases.staff_get_case(services(request), staff, reference))


@routes.post("/api/v1/staff/cases/{reference}/status")
async def set_status(request: web.Request) -> web.Response:
    staff = await _staff(request)
    reference = schemas.path_reference(request.match_info["reference"])
    body = await read_object(request)
    schemas.reject_unknown(body, frozenset({"status", "reason"}))
    result = await cases.staff_set_status(services(request), staff, reference, body.get("status"), body.get("reason"))
    return json_response(result)


@routes.post("/api/v1/staff/cases/{reference}/extension")
async def extend(request: web.Request) -> web.Response:
    staff = await _staff(request)
    reference = schemas.path_reference(request.match_info["reference"])
    body = await read_object(request)
    schemas.reject_unknown(body, frozenset({"months", "reason"}))
    result = await cases.staff_extend(services(request), staff, reference, body.get("months"), body.get("reason"))
    return json_response(result)


@routes.post("/api/v1/staff/cases/{reference}/messages")
async def message(request: web.Request) -> web.Response:
    staff = await _staff(request)
    reference = schemas.path_reference(request.match_info["reference"])
    body = await read_object(request)
    schemas.reject_unknown(body, frozenset({"body"}))
    result = await cases.staff_message(services(request), staff, reference, body.get("body"))
    return json_response(result, status=201)


@routes.get("/api/v1/staff/audit/verify")
async def verify_audit(request: web.Request) -> web.Response:
    staff = await _staff(request)
    if staff.role != "privacy_officer":
        raise ApiError(403, "forbidden", "only the privacy officer role can verify the audit trail")
    return json_response(await cases.verify_audit(services(request)))
