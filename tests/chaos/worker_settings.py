"""Settings of the real Celery worker started by the chaos tests (see conftest.py).

The test settings, plus what the test process shares with its worker: the media folder, the test
kinds, and short retry delays so that a test runs in seconds. Database and broker come from the
environment (DATABASE_URL, CELERY_BROKER_URL), as in production.
"""

import os
from pathlib import Path

from gtsms.settings.test import *  # noqa: F403


MEDIA_ROOT = Path(os.environ["GTSMS_CHAOS_MEDIA_ROOT"])
CELERY_TASK_ALWAYS_EAGER = False
DOCUMENTS_EXTRA_KIND_MODULES = ["tests.chaos.kinds"]
DOCUMENTS_RETRY_DELAY = 1
DOCUMENTS_RETRY_DELAY_MAX = 2
