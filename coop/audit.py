"""The audit trail: record in the writer's transaction, seal into the hash chain later."""

from dataclasses import dataclass

from django.db import transaction

from .actors import SystemActor
from .locks import lock_audit_sealer
from .models import AuditRecord, PartnerApiKey


def _actor_fields(actor) -> tuple[int | None, str, str]:
    """(actor_id, actor_kind, actor_name). A system job is recorded by its name; None (an
    unnamed system write, as older records have) stays plain "system"."""
    if actor is None:
        return None, "system", ""
    if isinstance(actor, SystemActor):
        return None, "system", actor.name
    if isinstance(actor, PartnerApiKey):
        return None, f"api_key:{actor.prefix}", ""
    return actor.pk, "user", ""


def audit_record(*, action: str, object_type: str, object_id, actor=None,
                 actor_user_id: int | None = None, facts=None) -> AuditRecord:
    """Write one audit record; call it inside the service's transaction. `actor_user_id`
    names a user by id where loading the user would cost a query for nothing."""
    actor_id, actor_kind, actor_name = _actor_fields(actor)
    if actor is None and actor_user_id is not None:
        actor_id, actor_kind = actor_user_id, "user"
    return AuditRecord.objects.create(
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        actor_id=actor_id,
        actor_kind=actor_kind,
        actor_name=actor_name,
        facts=facts or {},
    )


def changes_apply(stored, changes: dict, *, text_fields: tuple[str, ...] = ()) -> dict:
    """Set `changes` on the locked row `stored` and save the fields that really change. Returns
    the audit facts: {field: {"old", "new"}} for each changed field, or just "changed" for free
    text (`text_fields`), which an audit record names but does not copy. {} when nothing
    changes (and nothing is saved)."""
    changed = {name: value for name, value in changes.items() if getattr(stored, name) != value}
    facts = {name: "changed" if name in text_fields
             else {"old": getattr(stored, name), "new": value}
             for name, value in changed.items()}
    for name, value in changed.items():
        setattr(stored, name, value)
    if changed:
        stored.save(update_fields=sorted(changed))
    return facts


def _lock_sealer() -> None:
    # Only the sealer serialises, never the writers (coop.locks.lock_audit_sealer).
    lock_audit_sealer()


def audit_seal(batch_size: int = 5000) -> int:
    """Chain every committed, unsealed record, in id order. Safe to run concurrently."""
    sealed = 0
    while True:
        with transaction.atomic():
            _lock_sealer()
            last = AuditRecord.objects.exclude(seq=None).order_by("-seq").first()
            seq = last.seq if last else 0
            prev_hash = last.hash if last else ""
            rows = list(AuditRecord.objects.filter(seq=None).order_by("pk")[:batch_size])
            for row in rows:
                seq += 1
                row.seq = seq
                row.prev_hash = prev_hash
                row.hash = row.compute_hash(prev_hash, seq)
                prev_hash = row.hash
            AuditRecord.objects.bulk_update(rows, ["seq", "prev_hash", "hash"], batch_size=1000)
        sealed += len(rows)
        if len(rows) < batch_size:
            return sealed


@dataclass
class AuditVerification:
    ok: bool
    checked: int
    unsealed: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""


def audit_verify() -> AuditVerification:
    prev_hash = ""
    expected_seq = 1
    checked = 0
    for row in AuditRecord.objects.exclude(seq=None).order_by("seq").iterator(chunk_size=2000):
        if row.seq != expected_seq:
            return AuditVerification(False, checked, 0, row.seq, row.pk,
                                     f"sequence gap: expected {expected_seq}, found {row.seq}")
        if row.prev_hash != prev_hash:
            return AuditVerification(False, checked, 0, row.seq, row.pk,
                                     "previous-hash link does not match the previous record")
        if row.compute_hash(prev_hash, row.seq) != row.hash:
            return AuditVerification(False, checked, 0, row.seq, row.pk,
                                     "record content does not match its hash (altered)")
        prev_hash = row.hash
        expected_seq += 1
        checked += 1
    unsealed = AuditRecord.objects.filter(seq=None).count()
    return AuditVerification(True, checked, unsealed)
