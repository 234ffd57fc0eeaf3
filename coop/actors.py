"""Who acts, when nobody signed in does: the named system actors.

A service with a permission rule takes a required `actor` and checks it (governance.rules,
membership.rules). Faces pass the signed-in user or the partner key (`coop.api_auth.actor_of`);
scheduled tasks, management commands, seeds and benchmarks pass a `SystemActor` named after the
job, and the audit trail records that name (`AuditRecord.actor_kind == "system"`,
`AuditRecord.actor_name`). A system actor is code the cooperative runs itself, not a face: the
rules let it do what the job needs (see each app's rules module), never vote or comment.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    """A background job or command acting on its own; `name` is what the audit trail shows."""

    name: str

    # Read like a user where faces ask: never staff, never a member, no user id.
    is_staff = False
    is_superuser = False
    pk = None

    def __post_init__(self):
        if not self.name or len(self.name) > 80:
            raise ValueError("A system actor needs a name of 1 to 80 characters.")

    def __str__(self):
        return f"system:{self.name}"


def is_system(actor) -> bool:
    return isinstance(actor, SystemActor)


# The jobs that act today. A new job names itself here (or in its own app) so that the audit
# trail can be read by job.
CLOSE_DUE_VOTES = SystemActor(name="governance.close_due_votes")
SEND_DUE_REMINDERS = SystemActor(name="governance.send_due_reminders")
GOVERNANCE_SEED = SystemActor(name="governance.seed")
IMPORT_REGISTER = SystemActor(name="membership.import_register")
ERASE_NAMES_DUE = SystemActor(name="membership.erase_names_due")
BENCHMARK = SystemActor(name="bench")
