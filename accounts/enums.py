from django.db import models


class Role(models.TextChoices):
    PLATFORM_ADMIN = "PLATFORM_ADMIN", "Administrateur de la plateforme"
    GROUPEMENT_DIRECTOR = "GROUPEMENT_DIRECTOR", "Directeur du groupement"
    GROUPEMENT_STAFF = "GROUPEMENT_STAFF", "Équipe du groupement"
    ESTABLISHMENT_DIRECTOR = "ESTABLISHMENT_DIRECTOR", "Directeur d'établissement"
    ARS_REVIEWER = "ARS_REVIEWER", "Agent de l'ARS"
    DEPARTEMENT_READER = "DEPARTEMENT_READER", "Lecteur du conseil départemental"
