from django.db import models


class JournalAction(models.TextChoices):
    """Every kind of business event the journal records. Rooms add their events here."""

    ROLE_GRANTED = "ROLE_GRANTED", "Rôle attribué"
    ROLE_REVOKED = "ROLE_REVOKED", "Rôle retiré"
    USER_DISABLED = "USER_DISABLED", "Compte désactivé"
    PERMISSIONS_SYNCED = "PERMISSIONS_SYNCED", "Droits resynchronisés"
    FINESS_IMPORTED = "FINESS_IMPORTED", "Import FINESS"
    MEMBER_ADMITTED = "MEMBER_ADMITTED", "Membre admis"
    MEMBER_WITHDRAWN = "MEMBER_WITHDRAWN", "Retrait d'un membre"
    MEMBER_EXCLUDED = "MEMBER_EXCLUDED", "Exclusion d'un membre"
    MEMBERSHIP_TERMS_CHANGED = "MEMBERSHIP_TERMS_CHANGED", "Conditions d'adhésion modifiées"
    DEROGATION_RECORDED = "DEROGATION_RECORDED", "Dérogation enregistrée"
    GHT_MEMBERSHIP_RECORDED = "GHT_MEMBERSHIP_RECORDED", "Appartenance à un GHT enregistrée"
    DOCUMENT_REQUESTED = "DOCUMENT_REQUESTED", "Document demandé"
    DOCUMENT_ISSUED = "DOCUMENT_ISSUED", "Document produit"
    DOCUMENT_FINALISED = "DOCUMENT_FINALISED", "Document finalisé"
    DOCUMENT_DOWNLOADED = "DOCUMENT_DOWNLOADED", "Document téléchargé"
    ARS_READ = "ARS_READ", "Consultation par l'ARS"
    CONVENTION_VERSION_RECORDED = "CONVENTION_VERSION_RECORDED", "Version de la convention enregistrée"
    CONVENTION_TRANSMITTED = "CONVENTION_TRANSMITTED", "Convention transmise, décidée ou publiée"
    MEETING_CREATED = "MEETING_CREATED", "Assemblée générale créée"
    MEETING_CONVENED = "MEETING_CONVENED", "Assemblée générale convoquée"
    MEETING_ATTENDANCE_RECORDED = "MEETING_ATTENDANCE_RECORDED", "Présences enregistrées"
    PROXY_GIVEN = "PROXY_GIVEN", "Procuration donnée ou retirée"
    DELIBERATION_ADOPTED = "DELIBERATION_ADOPTED", "Délibération adoptée"
    DELIBERATION_REJECTED = "DELIBERATION_REJECTED", "Délibération rejetée"
    MEETING_CLOSED = "MEETING_CLOSED", "Assemblée générale close"
    DIRECTOR_STEP_RECORDED = "DIRECTOR_STEP_RECORDED", "Étape de la nomination du directeur"
    ADMINISTRATOR_ELECTED = "ADMINISTRATOR_ELECTED", "Administrateur élu"


class JobStatus(models.TextChoices):
    PENDING = "PENDING", "En attente"
    RUNNING = "RUNNING", "En cours"
    DONE = "DONE", "Terminé"
    FAILED = "FAILED", "Échec"
