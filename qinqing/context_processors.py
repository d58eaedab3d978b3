from django.conf import settings

from qinqing.roles import navigation_for


def hall(request):
    user = getattr(request, "user", None)
    # a session held at the password change, the code or the binding page has nowhere else to go
    signed_in = user is not None and user.is_authenticated and not getattr(request, "qinqing_held", False)
    nav = navigation_for(user) if signed_in else []
    return {
        "HALL_NAME": settings.HALL_NAME,
        "SYSTEM_NAME": settings.SYSTEM_NAME,
        "nav_items": nav,
    }
