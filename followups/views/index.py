from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
@permission_required("qinqing.view_followups", raise_exception=True)
def index(request):
    return render(request, "followups/index.html")
