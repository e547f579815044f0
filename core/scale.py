"""The national instance and its page benchmark: one registration point per room.

Each room that has data to add to the national instance, or pages to time, writes a ``scale.py``
module (found by ``discover()``, like the document kinds) that calls:

- ``register("functions", build, after=("members",))``: ``build(ctx)`` adds the room's data through
  its services; ``ctx`` is a ``ScaleContext`` (seeded random generator, sizes, progress log, and what
  earlier steps left in ``ctx.data``). Steps run in registration order, each after those it names.
- ``page("Liste des fonctions", role="directeur du groupement", resolve=...)``: ``resolve(sample)``
  returns the ``PageRequest`` to time (the signed-in user, the URL, and the bare SQL returning the same
  rows, for ``floor_ratio``) or ``None`` when the instance has nothing to show for it.

See docs/scale.md. ``load_scale`` (demo room) runs the steps; tests/perf/bench_pages.py times the pages.
"""

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ScaleContext:
    """What a step gets: sizes, a seeded random generator, a progress log, and earlier steps' results."""

    groupements: int
    users: int
    establishments: int
    seed: int
    today: datetime.date
    log: Callable[[str], None]
    rng: random.Random = field(init=False)
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 (reproducible test data, not a secret)


@dataclass(frozen=True)
class Step:
    name: str
    build: Callable[[ScaleContext], None]
    after: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class PageRequest:
    """One page to time: who asks, for which URL, and the bare SQL that returns the rows it shows."""

    user: Any
    url: str
    floor_sql: str
    floor_params: tuple = ()


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    resolve: Callable[[Any], PageRequest | None]


_steps: dict[str, Step] = {}
_pages: dict[tuple[str, str], Page] = {}


def register(
    name: str, build: Callable[[ScaleContext], None], *, after: tuple[str, ...] = (), label: str = ""
) -> None:
    """Add a step to the national instance (a second registration under the same name replaces the first)."""
    _steps[name] = Step(name=name, build=build, after=tuple(after), label=label or name)


def page(name: str, *, role: str, resolve: Callable[[Any], PageRequest | None]) -> None:
    """Add a page to the benchmark, timed for the audience ``role`` (French label)."""
    _pages[(name, role)] = Page(name=name, role=role, resolve=resolve)


def steps() -> list[Step]:
    """Every registered step, each after the steps it names (otherwise in registration order)."""
    ordered: list[Step] = []
    placed: set[str] = set()

    def place(step: Step, path: tuple[str, ...]) -> None:
        if step.name in placed:
            return
        if step.name in path:
            raise ValueError(f"scale steps form a cycle: {' → '.join((*path, step.name))}")
        for name in step.after:
            if name not in _steps:
                raise ValueError(f"scale step {step.name!r} runs after {name!r}, which no room registered")
            place(_steps[name], (*path, step.name))
        placed.add(step.name)
        ordered.append(step)

    for step in list(_steps.values()):
        place(step, ())
    return ordered


def pages() -> list[Page]:
    """Every registered page, in registration order."""
    return list(_pages.values())


def discover() -> None:
    """Import every installed room's ``scale`` module (each registers its steps and pages)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("scale")
