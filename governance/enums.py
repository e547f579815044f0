"""Choices of the governance room. Stored values are English, labels French."""

from django.db import models


class VersionKind(models.TextChoices):
    INITIAL = "INITIAL", "Convention initiale"
    AVENANT = "AVENANT", "Avenant"


class ArsDecision(models.TextChoices):
    """The DG ARS decision on a convention version, where one is given (optional: decree.md §2.5 is open)."""

    APPROVED = "APPROVED", "Approuvée"
    REFUSED = "REFUSED", "Refusée"


class RightsBasis(models.TextChoices):
    """How droits sociaux are set (R. 312-194-12 CASF): apports, contributions to running costs, or the convention."""

    CONTRIBUTIONS = "CONTRIBUTIONS", "Proportionnels aux contributions aux charges de fonctionnement"
    APPORTS = "APPORTS", "Proportionnels aux apports"
    CONVENTION = "CONVENTION", "Fixés par la convention (ni apports ni contributions)"


class Chair(models.TextChoices):
    """Who chairs the assemblée générale (R. 312-194-20: the administrateur unless the convention says otherwise)."""

    ADMINISTRATOR = "ADMINISTRATOR", "L'administrateur (pour un GTSMS, son directeur)"
    MEMBER_ELECTED = "MEMBER_ELECTED", "Un représentant d'un membre désigné par l'assemblée"


class OrdinaryMajority(models.TextChoices):
    """The majority of ordinary matters (R. 312-194-22: majority of the votes present or represented,
    unless the convention says otherwise)."""

    HALF_PRESENT = "HALF_PRESENT", "Majorité des voix des membres présents ou représentés"
    CAST = "CAST", "Plus de voix pour que de voix contre (membres présents ou représentés)"
    TWO_THIRDS_PRESENT = "TWO_THIRDS_PRESENT", "Deux tiers des voix des membres présents ou représentés"
    HALF_ALL = "HALF_ALL", "Majorité des voix de tous les membres"


class BudgetFramework(models.TextChoices):
    """R. 312-194-7 14°: budget principal and budgets annexes, or compte de résultat principal and comptes annexes."""

    BUDGETS = "BUDGETS", "Budget principal et budgets annexes"
    ACCOUNTS = "ACCOUNTS", "Compte de résultat principal et comptes annexes"


class AnnexKind(models.TextChoices):
    PAP = "PAP", "Projet d'accompagnement partagé (R. 312-194-28)"
    MEMBERS_LIST = "MEMBERS_LIST", "Liste des membres avec leurs numéros FINESS"
    OTHER = "OTHER", "Autre annexe"


class MeetingStatus(models.TextChoices):
    DRAFT = "DRAFT", "En préparation"
    CONVENED = "CONVENED", "Convoquée"
    CLOSED = "CLOSED", "Close"


class Requester(models.TextChoices):
    """Who asked for the meeting (R. 312-194-20: the administrateur, or by right one third of the members)."""

    ADMINISTRATOR = "ADMINISTRATOR", "L'administrateur ou le directeur"
    MEMBERS = "MEMBERS", "Des membres"


class AttendanceStatus(models.TextChoices):
    PRESENT = "PRESENT", "Présent"
    REPRESENTED = "REPRESENTED", "Représenté"
    ABSENT = "ABSENT", "Absent"


class DeliberationKind(models.TextChoices):
    """What the AG decides (R. 312-194-21 CASF, and the GTSMS director proposal)."""

    BUDGET = "BUDGET", "Budget"
    ACCOUNTS = "ACCOUNTS", "Comptes et affectation du résultat"
    CONVENTION_CHANGE = "CONVENTION_CHANGE", "Modification de la convention constitutive"
    ADMISSION = "ADMISSION", "Admission d'un membre"
    EXCLUSION = "EXCLUSION", "Exclusion d'un membre"
    WITHDRAWAL_TERMS = "WITHDRAWAL_TERMS", "Conditions d'un retrait"
    DIRECTOR_PROPOSAL = "DIRECTOR_PROPOSAL", "Proposition de nomination du directeur"
    ADMINISTRATOR_ELECTION = "ADMINISTRATOR_ELECTION", "Nomination de l'administrateur"
    OTHER_STRUCTURE = "OTHER_STRUCTURE", "Adhésion à une autre structure ou retrait"
    AUTHORISATION = "AUTHORISATION", "Demande d'autorisation"
    EXTENSION_DISSOLUTION = "EXTENSION_DISSOLUTION", "Prorogation ou dissolution"
    INTERNAL_RULES = "INTERNAL_RULES", "Règlement intérieur"
    OTHER = "OTHER", "Autre"


class VoteChoice(models.TextChoices):
    FOR = "FOR", "Pour"
    AGAINST = "AGAINST", "Contre"
    ABSTAIN = "ABSTAIN", "Abstention"
    NOT_VOTING = "NOT_VOTING", "Ne prend pas part au vote"


class Outcome(models.TextChoices):
    PENDING = "PENDING", "Non délibérée"
    ADOPTED = "ADOPTED", "Adoptée"
    REJECTED = "REJECTED", "Rejetée"
    NOT_DECIDED = "NOT_DECIDED", "Non délibérée (quorum non atteint)"


class MajorityRule(models.TextChoices):
    UNANIMITY = "UNANIMITY", "unanimité des membres présents ou représentés"
    EXCLUSION = "EXCLUSION", "majorité de la moitié des voix"
    HALF_PRESENT = "HALF_PRESENT", "majorité des voix des membres présents ou représentés"
    CAST = "CAST", "plus de voix pour que contre"
    TWO_THIRDS_PRESENT = "TWO_THIRDS_PRESENT", "deux tiers des voix des membres présents ou représentés"
    HALF_ALL = "HALF_ALL", "majorité des voix de tous les membres"


class DirectorStep(models.TextChoices):
    PROPOSED = "PROPOSED", "Proposé par l'assemblée générale"
    OPINIONS = "OPINIONS", "Avis du président du conseil départemental recueillis"
    NOMINATED = "NOMINATED", "Nommé par le DG ARS"
    REFUSED = "REFUSED", "Nomination refusée par le DG ARS"
    IN_OFFICE = "IN_OFFICE", "En fonctions"
    ENDED = "ENDED", "Mandat terminé"


class NominationDecision(models.TextChoices):
    NOMINATED = "NOMINATED", "Nomination"
    REFUSED = "REFUSED", "Refus"
