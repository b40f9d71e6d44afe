"""Who is acting: a user, or the system (CLI jobs, imports)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The identity recorded on every event. `user_id` is None for system jobs."""

    user_id: int | None
    role: str | None
    name: str = "system"


SYSTEM = Actor(user_id=None, role=None, name="system")


def actor_for(user) -> Actor:
    return Actor(user_id=user.id, role=user.role, name=user.username)
