"""The cooperative's distribution settings (RULES §6 `runs_need_assembly`)."""

from django.db import transaction

from coop.audit import audit_record

from .. import rules
from ..locks import lock_settings
from ..models import PatronageSettings
from ._common import require


@transaction.atomic
def settings_update(*, actor, runs_need_assembly: bool) -> PatronageSettings:
    require(rules.is_staff_or_system(actor), "Only staff change the distribution settings.")
    row = lock_settings()
    before = row.runs_need_assembly
    row.runs_need_assembly = bool(runs_need_assembly)
    row.save(update_fields=["runs_need_assembly"])
    audit_record(action="patronage.settings_updated", object_type="patronage_settings",
                 object_id=1, actor=actor,
                 facts={"runs_need_assembly": [before, row.runs_need_assembly]})
    return row
