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


@pytest.fixture
def reference_data(transactional_db):
    """Content types, permissions, régions and départements, whatever an earlier transactional test flushed.

    A transactional test with ``serialized_rollback`` flushes without ``post_migrate``; this puts back
    what ``post_migrate`` creates (Django's content types and permissions, our territories).
    """
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.sql import emit_post_migrate_signal

    ContentType.objects.clear_cache()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback (aiosmtpd); Django's default mailer points at it for the test."""
    from tests.smtp import SmtpServer

    server = SmtpServer().start()
    settings.MAILERS = server.mailers_setting()
    yield server
    server.stop()
