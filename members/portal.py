"""Sections of the members portal that other rooms add (pooled functions, governance…).

The portal is the members room's page, but what a member director sees there comes from rooms above
it: each registers a section in its ``AppConfig.ready()`` (a template and a context builder), as
document kinds are registered with ``documents``, so ``members`` imports none of them
(architecture.md §2: dependencies point one way).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PortalSection:
    name: str
    template: str
    context: Callable  # context(request) -> dict, merged into the portal's context
    order: int = 100


_SECTIONS: dict[str, PortalSection] = {}


def register_section(name: str, *, template: str, context: Callable, order: int = 100) -> PortalSection:
    """Add a section to the portal; registering the same name again replaces it (``ready()`` may run twice)."""
    section = PortalSection(name=name, template=template, context=context, order=order)
    _SECTIONS[name] = section
    return section


def sections() -> list[PortalSection]:
    """The registered sections, in their order."""
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.name))
