"""The actor of work nobody logs in for: a command on the server, an import, the demo seed.

Services take it like a user: it is named in the audit log and may do what an administrator may, so an actor
of None means a bug, never "allow everything".
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    name: str
    id = None  # not a user row: the audit log keeps the name (`subject`)
    is_authenticated = True

    @property
    def email(self) -> str:
        return f"system:{self.name}"


def is_system(actor) -> bool:
    return isinstance(actor, SystemActor)


COMMAND_LINE = SystemActor("command-line")
DEMO_SEED = SystemActor("demo-seed")
