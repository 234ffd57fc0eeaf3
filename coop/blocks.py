"""A block: one app's part of a page that a higher app composes (the member home and the landing
page in `dashboard`). The app that owns the data chooses the template and the context; the page
that shows it only places it, so a lower app never imports the page (docs/architecture.md,
"Layers")."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Block:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
