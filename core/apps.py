from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Socle"

    def ready(self):
        from core import rights

        rights.discover()  # every room's perms.py declares its rights (core.rights)
