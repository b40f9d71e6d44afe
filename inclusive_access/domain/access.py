"""Role checks the domain applies itself, so no caller can skip them."""
from collections.abc import Iterable

from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import NotPermitted

INTAKE_ROLES = frozenset({"booking", "clinician", "senior"})
CLINICAL_READ_ROLES = frozenset({"booking", "clinician", "senior", "auditor", "manager"})
ADMIN_ROLES = frozenset({"manager"})


def require_role(actor: Actor, roles: Iterable[str], allow_system: bool = False) -> None:
    """Raise NotPermitted unless the actor holds one of `roles` (system jobs only when allowed)."""
    if actor.user_id is None and allow_system:
        return
    if actor.role not in roles:
        raise NotPermitted(f"The {actor.role or 'system'} role may not do this.")
