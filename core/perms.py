from guardian.core import ObjectPermissionChecker


def request_checker(request) -> ObjectPermissionChecker:
    """One guardian checker per request: an object's permissions are read once, then cached.

    Every view and ability helper of a request asks this checker, so a page costs the same few
    permission queries however many checks it makes.
    """
    if not hasattr(request, "_gtsms_perm_checker"):
        request._gtsms_perm_checker = ObjectPermissionChecker(request.user)
    return request._gtsms_perm_checker
