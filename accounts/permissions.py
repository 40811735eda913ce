"""Deny by default: every view says which permissions it needs.

Django's LoginRequiredMiddleware already refuses anonymous requests to any view not marked
``login_not_required``. ``requires`` adds the role check, and leaves its permissions on the view
(``required_permissions``) so that a test can walk the URLconf and find any view that forgot.
"""

from collections.abc import Callable

from django.contrib.auth.decorators import permission_required


def requires(*permissions: str) -> Callable[[Callable], Callable]:
    """Refuse (403) anyone without all of ``permissions``; the view states them for the record."""
    if not permissions:
        raise ValueError("Name at least one permission, e.g. requires('checklists.view_case').")

    def decorator(view: Callable) -> Callable:
        checked = permission_required(permissions, raise_exception=True)(view)
        # functools.wraps copies __dict__, so outer decorators carry this attribute up too.
        checked.required_permissions = permissions  # type: ignore[attr-defined]  # see above
        return checked

    return decorator


def signed_in(view: Callable) -> Callable:
    """A view any signed-in person may use, for their own account (their PIN, logging out)."""
    view.required_permissions = ()  # type: ignore[attr-defined]  # a marker on the function
    return view
