"""Permission codenames of the members room. No permission string literal elsewhere."""

VIEW_GROUPEMENT = "members.view_groupement"
MANAGE_GROUPEMENT = "members.manage_groupement"
MANAGE_MEMBERS = "members.manage_members"
GENERATE_DOCUMENTS = "members.generate_documents"
FINALISE_DOCUMENTS = "members.finalise_documents"
VIEW_ESTABLISHMENT = "members.view_establishment"
DIRECT_ESTABLISHMENT = "members.direct_establishment"
REVIEW_REGION = "members.review_region"
READ_DEPARTEMENT = "members.read_departement"


def groupement_abilities(checker, groupement) -> dict[str, bool]:
    """What a user may do on a groupement's members pages, read from one prefetched ``ObjectPermissionChecker``.

    Recording admissions, departures and terms needs ``manage_members``; exporting needs ``generate_documents``.
    """
    return {
        "can_manage": checker.has_perm(MANAGE_MEMBERS, groupement),
        "can_export": checker.has_perm(GENERATE_DOCUMENTS, groupement),
    }


def member_abilities(checker, groupement, membership, *, today) -> dict[str, bool]:
    """A departure is recorded once, on a current period; terms can change until the period has ended."""
    can_manage = groupement_abilities(checker, groupement)["can_manage"]
    return {
        "can_manage": can_manage,
        "can_record_leave": can_manage and membership.left_on is None,
        "can_change_terms": can_manage and (membership.left_on is None or membership.left_on > today),
    }
