from django.db import migrations


def load_catalogue(apps, schema_editor):
    from functions.catalogue import catalogue_load

    catalogue_load(apps.get_model("functions", "FunctionType"))


class Migration(migrations.Migration):
    dependencies = [("functions", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
