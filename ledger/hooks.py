"""Hooks the ledger offers to the apps above it (patronage, vitality): callables registered
from their `AppConfig.ready()`.

`after_period_close`: called as `hook(period, actor)` inside the close's transaction, after the
closing entries are posted and the period is marked closed, so whatever they write commits or
rolls back with the close."""

from collections.abc import Callable

after_period_close: list[Callable] = []
