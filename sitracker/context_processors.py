from django.http import HttpRequest


def roles(request: HttpRequest) -> dict[str, str]:
    """The signed-in person's roles (their groups), for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"user_roles": ", ".join(user.groups.values_list("name", flat=True))}
