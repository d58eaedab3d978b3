from django.utils import timezone

from windows.todo import todo_count


def todo(request):
    """The to-do count shown next to 工作台 in the top bar, for signed-in case workers."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("qinqing.view_projects"):
        return {}
    return {"todo_count": lambda: todo_count(user, timezone.localdate())}
