from django.conf import settings

from accounts.roles import audiences_markdown, permissions_matrix_markdown


def _doc() -> str:
    return (settings.BASE_DIR / "docs" / "permissions.md").read_text(encoding="utf-8")


def test_docs_permissions_shows_the_current_role_matrix():
    assert permissions_matrix_markdown() in _doc(), (
        "docs/permissions.md is out of date: paste permissions_matrix_markdown()"
    )


def test_docs_permissions_shows_the_current_audiences():
    assert audiences_markdown() in _doc(), "docs/permissions.md is out of date: paste audiences_markdown()"
