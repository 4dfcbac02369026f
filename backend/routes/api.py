"""Service endpoints (action server, service token) and requester proof endpoints, plus /healthz."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from backend import schemas
from backend.routes.common import json_response, read_object, services
from backend.schemas import ApiError
from backend.services import cases, transcripts
from backend.services.staff import authenticate_service

routes = web.RouteTableDef()


async def _service(request: web.Request) -> None:
    await authenticate_service(services(request), request.headers.get("Authorization"))


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    def ping(session: Session) -> None:
        session.execute(sql_text("SELECT 1"))

    try:
        await services(request).db.run(ping, write=False)
    except Exception:  # noqa: BLE001 - health says "down", details stay in the server log
        return json_response({"status": "unavailable"}, status=503)
    return json_response({"status": "ok"})


@routes.post("/api/v1/cases")
async def create_case(request: web.Request) -> web.Response:
    await _service(request)
    key = schemas.idempotency_key(request.headers.get("Idempotency-Key"))
    body = await read_object(request)
    status, response = await cases.create_case(services(request), body, key)
    return json_response(response, status=status)


@routes.post("/api/v1/cases/{reference}/verification")
async def verify_case(request: web.Request) -> web.Response:
    await _service(request)
    reference = schemas.path_reference(request.match_info["reference"])
    body = await read_object(request)
    schemas.reject_unknown(body, frozenset({"code"}))
    code = schemas.otp_code(body)
    return json_response(await cases.verify_case(services(request), reference, code))


@routes.post("/api/v1/cases/{reference}/verification/resend")
async def resend_code(request: web.Request) -> web.Response:
    await _service(request)
    reference = schemas.path_reference(request.match_info["reference"])
    return json_response(await cases.resend_code(services(request), reference))


@routes.post("/api/v1/conversations/erasure")
async def erase_conversation(request: web.Request) -> web.Response:
    """"Forget this conversation": the chat's transcript goes through the transcript-erasure outbox. The id
    is in the body, not the path, so no access log ever holds it."""
    await _service(request)
    conversation_id = schemas.chat_erasure_request(await read_object(request))
    return json_response(await transcripts.request_chat_erasure(services(request), conversation_id), status=202)


@routes.post("/api/v1/status/code")
async def status_code(request: web.Request) -> web.Response:
    await _service(request)
    body = await read_object(request)
    schemas.reject_unknown(body, frozenset({"reference", "email", "language"}))
    email = schemas.email_address(body.get("email"))
    language = schemas.choice(body, "language", schemas.LANGUAGES, "invalid_language")
    try:
        reference = schemas.reference(body)
    except ApiError as exc:
        if exc.code != "case_not_found":
            raise
        reference = None  # a malformed reference gets the same answer as any non-matching pair
    if reference is not None:
        await cases.request_status_code(services(request), reference, email, language)  # type: ignore[arg-type]
    return json_response({"sent": True}, status=202)


@routes.post("/api/v1/status/verify")
async def status_verify(request: web.Request) -> web.Response:
    await _service(request)
    body = await read_object(request)
    schemas.reject_unknown(body, frozenset({"reference", "email", "code"}))
    email = schemas.email_address(body.get("email"))
    code = schemas.otp_code(body)
    reference = schemas.reference(body)
    return json_response(await cases.status_by_code(services(request), reference, email, code))


@routes.post("/api/v1/status/receipt")
async def status_receipt(request: web.Request) -> web.Response:
    await _service(request)
    body = await read_object(request)
    schemas.reject_unknown(body, frozenset({"reference", "receipt"}))
    receipt = schemas.receipt(body)
    reference = schemas.reference(body)
    return json_response(await cases.status_by_receipt(services(request), reference, receipt))


@routes.post("/api/v1/status/receipt/reply")
async def status_receipt_reply(request: web.Request) -> web.Response:
    await _service(request)
    body = await read_object(request)
    schemas.reject_unknown(body, frozenset({"reference", "receipt", "body"}))
    receipt = schemas.receipt(body)
    reference = schemas.reference(body)
    text = schemas.text(body, "body", max_length=schemas.MAX_MESSAGE, required=True, multiline=True)
    result = await cases.reply_by_receipt(services(request), reference, receipt, text)  # type: ignore[arg-type]
    return json_response(result, status=201)
