from django.conf import settings

from qinqing.roles import navigation_for


def hall(request):
    user = getattr(request, "user", None)
    nav = navigation_for(user) if user is not None and user.is_authenticated else []
    return {
        "HALL_NAME": settings.HALL_NAME,
        "SYSTEM_NAME": settings.SYSTEM_NAME,
        "nav_items": nav,
    }
