"""Local development: safe defaults so `make run` works with no .env file."""

import os
from pathlib import Path

import environ


environ.Env.read_env(Path(__file__).resolve().parent.parent.parent / ".env")
os.environ.setdefault("DJANGO_SECRET_KEY", "dev-only-not-secret-5d1c8b0e7f0a4e6f9c2b")

from gtsms.settings.base import *  # noqa: E402,F403


DEBUG = env.bool("DJANGO_DEBUG", default=True)  # noqa: F405
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])  # noqa: F405
# E-mail sent by the worker lands as one file per message in var/mail/ (README, "Où vont les courriels").
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": env.path("DJANGO_MAIL_DIR", default=BASE_DIR / "var" / "mail")},  # noqa: F405
    }
}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Serve static files from the finders, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
