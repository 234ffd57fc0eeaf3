"""What vitality keeps about a person, for `membership.services.member_erase` (registered in
`membership.hooks.erasure_hooks` by the app's ready()).

A pulse answer's comment is the person's own words and goes; the score stays, without words,
because the months' satisfaction figures (RULES §5) are computed from the scores and a
recomputed month must give the figure it gave before."""

from .models import PulseAnswer


class PulseErasure:
    def refusal(self, member) -> str | None:
        return None

    def erase(self, member, *, actor) -> dict[str, int]:
        comments = (PulseAnswer.objects.filter(member=member).exclude(comment="")
                    .update(comment=""))
        return {"pulse_comments": comments}


PULSE = PulseErasure()
