"""Project-level pages: the home that sends each user to their audience, the health check, the
accessibility statement."""

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.roles import audiences_for
from accounts.selectors import user_roles
from gtsms.celery import app as celery_app


@require_safe
def home(request):
    """Send the user to the home page of their first audience (``accounts.roles.AUDIENCES``)."""
    audiences = audiences_for(assignment.role for assignment in user_roles(request))
    if audiences:
        return redirect(audiences[0].url_name)
    return render(request, "no_role.html")


def _check_db() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        return "error"


def _check_redis() -> str:
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
        client.ping()
        return "ok"
    except Exception:
        return "error"


def _check_worker(redis_status: str) -> str:
    if redis_status != "ok":
        return "absent"
    try:
        replies = celery_app.control.ping(timeout=1.0)
    except Exception:
        return "absent"
    return "ok" if replies else "absent"


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """Public JSON health check: database, Redis, a worker. Says nothing else."""
    redis_status = _check_redis()
    body = {"db": _check_db(), "redis": redis_status, "worker": _check_worker(redis_status)}
    status = 200 if body["db"] == "ok" and body["redis"] == "ok" else 503
    return JsonResponse(body, status=status)


@login_not_required
@require_safe
def accessibility(request):
    return render(request, "accessibility.html")
