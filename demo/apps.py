from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run`. Sits above every room: it imports them, none imports it."""

    name = "demo"
    verbose_name = "Démonstration"
