"""Document kinds for the chaos tests. The tests' real worker imports this module through
``DOCUMENTS_EXTRA_KIND_MODULES`` (tests/chaos/worker_settings.py); the test process imports it too.
"""

import os
import time

from documents import registry
from members.documents import members_register_context


def slow_register(groupement, subject_key, year, progress):
    """The register of members, after a pause long enough to kill the worker in the middle."""
    progress(5, "Attente (test)")
    time.sleep(float(os.environ.get("GTSMS_CHAOS_SLEEP", "4")))
    return members_register_context(groupement, subject_key, year, progress)


def always_failing(groupement, subject_key, year, progress):
    raise RuntimeError("panne permanente simulée")


registry.register(
    "chaos_slow",
    format="pdf",
    title="Registre des membres (test lent)",
    builder=slow_register,
    template="print/members_register.html",
)
registry.register(
    "chaos_fail",
    format="pdf",
    title="Document de test qui échoue toujours",
    builder=always_failing,
    template="print/members_register.html",
)
