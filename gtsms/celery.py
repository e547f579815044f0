"""The Celery application: configuration from Django settings (CELERY_ namespace), tasks from every room."""

import os

from celery import Celery


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gtsms.settings.dev")

app = Celery("gtsms", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="gtsms.ping")
def ping() -> str:
    """Answer the health check's round trip through the broker."""
    return "pong"
