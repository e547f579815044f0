from django.db import models


# Kind codes are not listed here: each room registers its own kinds (documents.registry.register).


class DocumentFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Tableur (XLSX)"


class DocumentStatus(models.TextChoices):
    DRAFT = "DRAFT", "Projet"
    FINAL = "FINAL", "Définitif"
