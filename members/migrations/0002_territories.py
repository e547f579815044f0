from django.db import migrations


def load_territories(apps, schema_editor):
    from members.territories import DEPARTEMENTS, REGIONS

    Region = apps.get_model("members", "Region")
    Departement = apps.get_model("members", "Departement")
    for code, name in REGIONS.items():
        Region.objects.update_or_create(code=code, defaults={"name": name})
    for code, (name, region) in DEPARTEMENTS.items():
        Departement.objects.update_or_create(code=code, defaults={"name": name, "region_id": region})


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [migrations.RunPython(load_territories, migrations.RunPython.noop)]
