"""Staff accounts and authentication of callers (service token, staff personal tokens).

Staff tokens are 256-bit random strings shown once by `create-staff`; only their SHA-256 is stored,
so a database dump does not let anyone log in. The service token is compared in constant time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.crypto import constant_time_equals, hash_token, new_token
from backend.models import StaffUser
from backend.schemas import MAX_NAME, ROLES, ApiError
from backend.services import Services, audit


@dataclass(frozen=True)
class NewStaff:
    id: int
    role: str
    token: str  # plaintext, returned once


def _create_staff_tx(session: Session, svc: Services, name: str, role: str) -> NewStaff:
    now = svc.now()
    token = new_token()
    staff = StaffUser(name_enc=svc.cipher.encrypt(name), role=role, token_hash=hash_token(token), created_at=now)
    session.add(staff)
    session.flush()
    audit.append(session, action="staff_created", actor="cli", now=now, data={"staff_id": staff.id, "role": role})
    return NewStaff(staff.id, role, token)


def create_staff(svc: Services, name: str, role: str) -> NewStaff:
    """Create a staff member (blocking; CLI). Raises ValueError for a bad role or name."""
    if role not in ROLES:
        raise ValueError(f"role must be one of: {', '.join(ROLES)}")
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"name must be 1-{MAX_NAME} characters")
    return svc.db.call(_create_staff_tx, svc, name, role)


def _find_staff(session: Session, token_hash: str) -> Optional[StaffUser]:
    staff = session.execute(
        select(StaffUser).where(StaffUser.token_hash == token_hash, StaffUser.disabled_at.is_(None))
    ).scalar_one_or_none()
    if staff is not None:
        session.expunge(staff)
    return staff


def bearer_token(header: Optional[str]) -> Optional[str]:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def is_service_token(svc: Services, token: str) -> bool:
    return constant_time_equals(token, svc.settings.service_token)


async def authenticate_service(svc: Services, header: Optional[str]) -> None:
    """401 without a valid token; 403 when a staff token is used on a service endpoint."""
    token = bearer_token(header)
    if token is None:
        raise ApiError(401, "unauthorized", "a bearer token is required")
    if is_service_token(svc, token):
        return
    if await svc.db.run(_find_staff, hash_token(token), write=False) is not None:
        raise ApiError(403, "forbidden", "staff tokens cannot call service endpoints")
    raise ApiError(401, "unauthorized", "the token is not valid")


async def authenticate_staff(svc: Services, header: Optional[str]) -> StaffUser:
    """The staff member behind the token; 401 for none or a wrong one, 403 for the service token."""
    token = bearer_token(header)
    if token is None:
        raise ApiError(401, "unauthorized", "a bearer token is required")
    staff = await svc.db.run(_find_staff, hash_token(token), write=False)
    if staff is not None:
        return staff
    if is_service_token(svc, token):
        raise ApiError(403, "forbidden", "the service token cannot call staff endpoints")
    raise ApiError(401, "unauthorized", "the token is not valid")
