from __future__ import annotations

import pytest
from django.test import Client

from qinqing.roles import Role
from tests.auth import sign_in
from tests.factories import UserFactory


@pytest.fixture
def make_user(db):
    def _make(*roles: Role, **kwargs):
        return UserFactory(roles=list(roles), **kwargs)

    return _make


@pytest.fixture
def client_for(db):
    """A logged-in test client for a new user holding ``roles``."""

    def _client(*roles: Role, **kwargs) -> Client:
        user = UserFactory(roles=list(roles), **kwargs)
        client = sign_in(Client(), user)
        client.user = user
        return client

    return _client


@pytest.fixture
def admin_client_(client_for) -> Client:
    return client_for(Role.ADMIN)


@pytest.fixture(scope="session", autouse=True)
def _media_root(tmp_path_factory):
    """Exports and uploads of the whole run go to a temporary directory, never to var/media."""
    from django.conf import settings

    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
