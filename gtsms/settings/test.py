"""Test run: the real PostgreSQL and Redis on loopback, fast hashing, a private media folder."""

import os
import tempfile


os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-secret-0b7a6c7d2e1f4a5b8c9d")

from gtsms.settings.base import *  # noqa: F403


DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="gtsms-test-media-"))  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
TEMPLATES[0]["OPTIONS"]["debug"] = True  # noqa: F405
# Unit tests run tasks in-process; the chaos tests start a real worker with their own settings.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)  # noqa: F405
CELERY_TASK_EAGER_PROPAGATES = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Serve static files from the finders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Other rooms' tests sign directors in without a device; tests/accounts/test_otp.py turns the second factor on.
OTP_REQUIRED_ROLES = []
