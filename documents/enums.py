from django.db import models

from core.enums import JournalAction


class DocumentKind(models.TextChoices):
    """Every kind code, used everywhere (registry, jobs, documents, URLs). One code per document.

    Only the rooms that build a kind register it (``documents.registry.register``); the others are
    reserved names for later capabilities.
    """

    MEMBERS_REGISTER = "members_register", "Registre des membres"
    MEMBERS_LIST = "members_list", "Liste des membres et établissements (tableur)"
    CONVOCATION = "convocation", "Convocation à l'assemblée générale"
    MINUTES = "minutes", "Procès-verbal de l'assemblée générale"
    DIRECTOR_FILE = "director_file", "Dossier de nomination du directeur"
    COST_SHARING = "cost_sharing", "Répartition des charges"
    COMPLIANCE_REPORT = "compliance_report", "Rapport de conformité"
    CPOM = "cpom", "CPOM"
    CPOM_DOCX = "cpom_docx", "CPOM (texte modifiable)"
    CPOM_FOLLOWUP = "cpom_followup", "Suivi du CPOM"
    PPI = "ppi", "Plan pluriannuel d'investissement"
    PPI_XLSX = "ppi_xlsx", "Plan pluriannuel d'investissement (tableur)"
    INDICATORS = "indicators", "Indicateurs annuels"


class DocumentFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Tableur (XLSX)"


class DocumentStatus(models.TextChoices):
    DRAFT = "DRAFT", "Projet"
    FINAL = "FINAL", "Définitif"


# Journal action of a download (kept here under its old name for the room's imports).
DOCUMENT_DOWNLOADED = JournalAction.DOCUMENT_DOWNLOADED
