"""A keyring backend for the tests: a JSON file named by $NAPGI_TEST_KEYRING ({"service:user": "secret"})."""
from __future__ import annotations

import json
import os

from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1

    def _load(self) -> dict:
        with open(os.environ["NAPGI_TEST_KEYRING"], encoding="utf-8") as f:
            return json.load(f)

    def get_password(self, service, username):
        return self._load().get(f"{service}:{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}:{username}"] = password
        with open(os.environ["NAPGI_TEST_KEYRING"], "w", encoding="utf-8") as f:
            json.dump(data, f)

    def delete_password(self, service, username):
        raise NotImplementedError
