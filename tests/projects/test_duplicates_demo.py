"""The demo data of this part: a pair to merge, a merged dossier, two 待答复 consultations; re-runnable."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from projects import demo_duplicates, selectors
from projects.models import Consultation, Project
from qinqing.models import User


@pytest.mark.django_db
def test_demo_duplicates():
    call_command("seed_demo", stdout=io.StringIO())
    demo_duplicates.seed(io.StringIO())
    demo_duplicates.seed(io.StringIO())  # a second run adds nothing
    li = User.objects.get(username="demo_specialist")
    merged = Project.objects.get(status=Project.Status.MERGED)
    assert merged.merged_into.name == demo_duplicates.KEPT
    pair = Project.objects.get(name=demo_duplicates.PAIR)
    similar = selectors.duplicate_candidates(
        li,
        name=pair.name,
        builder_credit_code=pair.builder_credit_code,
        contact_phone=pair.contact_phone,
        exclude_pk=pair.pk,
    )
    assert [c.project.name for c in similar] == [demo_duplicates.PAIR + "项目"]
    pending = {c.visitor_name for c in selectors.pending_consultations(li)}
    assert {"钟先生", "何静"} <= pending
    assert Consultation.objects.filter(outcome="待答复", project__isnull=True, recorded_by=li).exists()
