from django.db import migrations


def load_territories(apps, schema_editor):
    from members.territories import territories_load

    territories_load(apps.get_model("members", "Region"), apps.get_model("members", "Departement"))


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(load_territories, migrations.RunPython.noop)]
