from django.db import models


class JournalAction(models.TextChoices):
    """Every kind of business event the journal records. Rooms add their events here."""

    ROLE_GRANTED = "ROLE_GRANTED", "Rôle attribué"
    ROLE_REVOKED = "ROLE_REVOKED", "Rôle retiré"
    USER_DISABLED = "USER_DISABLED", "Compte désactivé"
    PERMISSIONS_SYNCED = "PERMISSIONS_SYNCED", "Droits resynchronisés"
    FINESS_IMPORTED = "FINESS_IMPORTED", "Import FINESS"
    FINESS_CLOSURES_DECIDED = "FINESS_CLOSURES_DECIDED", "Fermetures FINESS confirmées ou écartées"
    MEMBER_ADMITTED = "MEMBER_ADMITTED", "Membre admis"
    MEMBER_WITHDRAWN = "MEMBER_WITHDRAWN", "Retrait d'un membre"
    MEMBER_EXCLUDED = "MEMBER_EXCLUDED", "Exclusion d'un membre"
    MEMBERSHIP_TERMS_CHANGED = "MEMBERSHIP_TERMS_CHANGED", "Conditions d'adhésion modifiées"
    GROUPEMENT_CREATED = "GROUPEMENT_CREATED", "Groupement créé"
    GROUPEMENT_UPDATED = "GROUPEMENT_UPDATED", "Groupement modifié"
    DEROGATION_RECORDED = "DEROGATION_RECORDED", "Dérogation enregistrée"
    GHT_MEMBERSHIP_RECORDED = "GHT_MEMBERSHIP_RECORDED", "Appartenance à un GHT enregistrée"
    DOCUMENT_REQUESTED = "DOCUMENT_REQUESTED", "Document demandé"
    DOCUMENT_ISSUED = "DOCUMENT_ISSUED", "Document produit"
    DOCUMENT_FINALISED = "DOCUMENT_FINALISED", "Document finalisé"
    DOCUMENT_DOWNLOADED = "DOCUMENT_DOWNLOADED", "Document téléchargé"
    ARS_READ = "ARS_READ", "Consultation par l'ARS"
    MAIL_SENT = "MAIL_SENT", "Courriel envoyé"
    MAIL_FAILED = "MAIL_FAILED", "Courriel non remis"
    INVITATION_SENT = "INVITATION_SENT", "Invitation envoyée"
    INVITATION_ACCEPTED = "INVITATION_ACCEPTED", "Invitation acceptée"
    INVITATION_CANCELLED = "INVITATION_CANCELLED", "Invitation annulée"
    PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED", "Réinitialisation du mot de passe demandée"
    PASSWORD_CHANGED = "PASSWORD_CHANGED", "Mot de passe changé"
    OTP_ENROLLED = "OTP_ENROLLED", "Double authentification activée"
    OTP_RESET = "OTP_RESET", "Double authentification réinitialisée"
    SESSION_ENDED = "SESSION_ENDED", "Session fermée"


class JobStatus(models.TextChoices):
    PENDING = "PENDING", "En attente"
    RUNNING = "RUNNING", "En cours"
    DONE = "DONE", "Terminé"
    FAILED = "FAILED", "Échec"
