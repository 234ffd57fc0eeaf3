"""What surplus distribution keeps about a person, for `membership.services.member_erase`
(registered in `membership.hooks.erasure_hooks` by the app's ready()).

A member's IBAN goes with their data. Before that, whatever the cooperative still owes them
must be paid, since paying it needs the IBAN: an unpaid payable, or a run of a period they
were a member in that is still being computed or awaits approval. Their allocation lines and
statements stay: they are the books' detail, tagged with the member number."""

from django.db.models import Q, Sum

from coop.models import Cooperative
from coop.money import format_minor

from .models import DividendRun, Payable, PayoutBatch
from .services import payout_accounts_erase

IN_PROGRESS = (DividendRun.Status.QUEUED, DividendRun.Status.RUNNING,
               DividendRun.Status.COMPUTED)


class PayoutErasure:
    def refusal(self, member) -> str | None:
        unpaid = (Payable.objects.filter(member=member)
                  .filter(Q(batch__isnull=True) | ~Q(batch__status=PayoutBatch.Status.PAID))
                  .aggregate(total=Sum("amount_minor"))["total"])
        if unpaid:
            owed = format_minor(unpaid, Cooperative.current_currency())
            return (f"{owed} is still to be paid to member {member.member_number}: pay it in "
                    f"a payout batch before erasing their data, which includes their IBAN.")
        pending = DividendRun.objects.filter(
            status__in=IN_PROGRESS, period__end__gte=member.joined_on,
            period__start__lte=member.exited_on or member.joined_on).first()
        if pending:
            state = pending.get_status_display().lower()
            return (f"Dividend run {pending.pk}, for a period member {member.member_number} "
                    f"belonged in, is {state}: approve or cancel it before erasing their data.")
        return None

    def erase(self, member, *, actor) -> dict[str, int]:
        return {"payout_accounts": payout_accounts_erase(member_ids=[member.pk], actor=actor)}


PAYOUTS = PayoutErasure()
