import re

from django.conf import settings


ENV_READ = re.compile(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_every_environment_variable_is_documented():
    names = set()
    for path in (settings.BASE_DIR / "gtsms" / "settings").glob("*.py"):
        names |= set(ENV_READ.findall(path.read_text(encoding="utf-8")))
    doc = (settings.BASE_DIR / "docs" / "settings.md").read_text(encoding="utf-8")
    example = (settings.BASE_DIR / ".env.example").read_text(encoding="utf-8")
    assert names, "no variable found: the pattern is wrong"
    assert sorted(n for n in names if f"`{n}`" not in doc) == [], "missing from docs/settings.md"
    assert sorted(n for n in names if f"{n}=" not in example) == [], "missing from .env.example"
