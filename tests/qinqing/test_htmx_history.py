"""htmx keeps no page with personal data in the browser's history cache, and a history-restore request
(going back to a page htmx had changed) is answered with the whole page, never with a fragment."""

from __future__ import annotations

import json
import re

from django.urls import reverse

from qinqing.roles import Role


def test_htmx_keeps_no_history_cache(client_for):
    page = client_for(Role.SPECIALIST).get(reverse("projects:index")).content.decode()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page).group(1))
    assert config["historyCacheSize"] == 0
    assert config["refreshOnHistoryMiss"] is True


def test_the_staff_lists_history_restore_is_a_whole_page(client_for):
    client = client_for(Role.ADMIN)
    url = reverse("staff:list")
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    restored = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.content.decode()


def test_the_project_lists_history_restore_is_a_whole_page(client_for):
    client = client_for(Role.SPECIALIST)
    url = reverse("projects:index")
    headers = {"HX-Request": "true", "HX-Target": "project-rows"}
    assert "<html" not in client.get(url, headers=headers).content.decode()
    restored = client.get(url, headers={**headers, "HX-History-Restore-Request": "true"})
    assert "<html" in restored.content.decode()
