"""Patronage's notice kinds (registered in PatronageConfig.ready): a member's statement is
ready once a run is posted."""

from coop.notices import NoticeKind, register

from .models import DividendRun


def _run(run_id: int) -> DividendRun:
    return DividendRun.objects.select_related("period").get(pk=run_id)


KINDS = [
    NoticeKind(
        name="patronage.statement_ready",
        label="Your dividend statement is ready",
        title=lambda run: f"Your statement for {run.period.start:%-d %b %Y} – "
                          f"{run.period.end:%-d %b %Y} is ready",
        # money-ui's "My money" page; the path is the API.md statement's, on the site.
        url=lambda run: f"/money/statements/{run.period_id}/",
        context=lambda run: {"run": run, "period": run.period},
        target_model=DividendRun,
        load=_run,
    ),
]


def register_kinds() -> None:
    for kind in KINDS:
        register(kind)
