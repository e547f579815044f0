import pytest
from django.conf import settings

from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory


@pytest.fixture
def finess_dir():
    """The real FINESS extracts shipped with the repository (data/finess, see its README)."""
    return settings.FINESS_DATA_DIR


@pytest.fixture
def user_with_role(db):
    """Make a user holding ``role`` on ``scope_object`` through the role service."""
    from accounts.services import role_grant

    def make(role, scope_object=None, **user_fields):
        user = UserFactory(**user_fields)
        role_grant(user=user, role=role, scope_object=scope_object)
        return user

    return make


@pytest.fixture
def password():
    return DEFAULT_PASSWORD
