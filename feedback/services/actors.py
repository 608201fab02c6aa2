"""Who makes a change: a signed-in user, or a named program (the command line, the demo loader).

Every write service takes an actor and records it in the audit log by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from feedback.models import User
from feedback.services.errors import Forbidden


@dataclass(frozen=True)
class SystemActor:
    """A program run by someone with access to the server: an admin's rights, no user row."""

    name: str

    @property
    def id(self) -> None:
        return None

    @property
    def is_admin(self) -> bool:
        return True


Actor: TypeAlias = User | SystemActor

CLI = SystemActor("cli")
DEMO_LOADER = SystemActor("demo loader")


def name_of(actor: Actor) -> str:
    """How the audit log and ``updated_by`` columns name the actor."""
    return actor.email if isinstance(actor, User) else actor.name


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("Only an admin can do this.")
