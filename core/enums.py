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
    DEROGATION_RECORDED = "DEROGATION_RECORDED", "Dérogation enregistrée"
    GHT_MEMBERSHIP_RECORDED = "GHT_MEMBERSHIP_RECORDED", "Appartenance à un GHT enregistrée"
    DOCUMENT_REQUESTED = "DOCUMENT_REQUESTED", "Document demandé"
    DOCUMENT_ISSUED = "DOCUMENT_ISSUED", "Document produit"
    DOCUMENT_FINALISED = "DOCUMENT_FINALISED", "Document finalisé"
    DOCUMENT_DOWNLOADED = "DOCUMENT_DOWNLOADED", "Document téléchargé"
    ARS_READ = "ARS_READ", "Consultation par l'ARS"
    FUNCTION_TYPE_CREATED = "FUNCTION_TYPE_CREATED", "Type de fonction créé"
    FUNCTION_CREATED = "FUNCTION_CREATED", "Fonction mutualisée créée"
    FUNCTION_UPDATED = "FUNCTION_UPDATED", "Fonction mutualisée modifiée"
    FUNCTION_SUBSCRIBED = "FUNCTION_SUBSCRIBED", "Adhésion à une fonction"
    FUNCTION_UNSUBSCRIBED = "FUNCTION_UNSUBSCRIBED", "Fin d'adhésion à une fonction"
    SHARED_POST_CREATED = "SHARED_POST_CREATED", "Poste mutualisé ajouté"
    POST_HOURS_SET = "POST_HOURS_SET", "Heures d'un poste réparties"
    COST_KEY_SET = "COST_KEY_SET", "Clé de répartition fixée"
    OTHER_COST_ADDED = "OTHER_COST_ADDED", "Autre coût ajouté"


class JobStatus(models.TextChoices):
    PENDING = "PENDING", "En attente"
    RUNNING = "RUNNING", "En cours"
    DONE = "DONE", "Terminé"
    FAILED = "FAILED", "Échec"
