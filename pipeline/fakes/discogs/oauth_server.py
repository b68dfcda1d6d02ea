"""Server-side OAuth 1.0a for the fake Discogs API: oauthlib's endpoints over the world's credentials."""

from __future__ import annotations

import string

from oauthlib.oauth1 import AccessTokenEndpoint, RequestTokenEndpoint, RequestValidator, ResourceEndpoint

from pipeline.fakes.discogs.world import World

_DUMMY = "dummy"


class WorldValidator(RequestValidator):
    """Answers oauthlib's questions from the world: which consumers, tokens and verifiers exist."""

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    # Discogs' keys and tokens are not bound to oauthlib's default lengths and alphabet.
    safe_characters = set(string.ascii_letters + string.digits + "-_")
    client_key_length = (3, 100)
    request_token_length = (3, 100)
    access_token_length = (3, 100)
    nonce_length = (6, 100)
    verifier_length = (3, 100)
    enforce_ssl = False  # the fake listens on plain HTTP on loopback
    dummy_client = _DUMMY
    dummy_request_token = _DUMMY
    dummy_access_token = _DUMMY

    @property
    def realms(self) -> list[str]:
        return []

    def get_client_secret(self, client_key, request):
        return self.world.consumers.get(client_key, _DUMMY)

    def validate_client_key(self, client_key, request):
        return client_key in self.world.consumers

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, request_token=None,
                                     access_token=None):
        return self.world.remember_nonce(client_key, timestamp, nonce)

    def validate_redirect_uri(self, client_key, redirect_uri, request):
        return True

    def validate_requested_realms(self, client_key, realms, request):
        return True

    def get_default_realms(self, client_key, request):
        return []

    def save_request_token(self, token, request):
        self.world.store_request_token(token["oauth_token"], token["oauth_token_secret"],
                                       request.redirect_uri or "oob")

    # -- access token exchange ------------------------------------------------------------------

    def get_request_token_secret(self, client_key, token, request):
        found = self.world.live_request_token(token)
        return found.secret if found else _DUMMY

    def validate_request_token(self, client_key, token, request):
        return self.world.live_request_token(token) is not None

    def validate_verifier(self, client_key, token, verifier, request):
        found = self.world.live_request_token(token)
        return bool(found and found.verifier and found.verifier == verifier)

    def get_realms(self, token, request):
        return []

    def invalidate_request_token(self, client_key, request_token, request):
        with self.world.lock:
            self.world.request_tokens.pop(request_token, None)

    def save_access_token(self, token, request):
        found = self.world.live_request_token(request.resource_owner_key)
        with self.world.lock:
            self.world.access_tokens[token["oauth_token"]] = (token["oauth_token_secret"], found.username)

    # -- signed API requests ---------------------------------------------------------------------

    def get_access_token_secret(self, client_key, token, request):
        found = self.world.access_tokens.get(token)
        return found[0] if found else _DUMMY

    def validate_access_token(self, client_key, token, request):
        return token in self.world.access_tokens

    def validate_realms(self, client_key, token, request, uri=None, realms=None):
        return True


class OAuthServer:
    """The three oauthlib endpoints the fake needs, sharing one validator."""

    def __init__(self, world: World) -> None:
        validator = WorldValidator(world)
        self.world = world
        self.request_token = RequestTokenEndpoint(validator)
        self.access_token = AccessTokenEndpoint(validator)
        self.resource = ResourceEndpoint(validator)

    def username_for(self, uri: str, method: str, body: str, headers: dict[str, str]) -> str | None:
        """The Discogs user a signed request acts for, or None when the signature does not hold."""
        valid, request = self.resource.validate_protected_resource_request(uri, method, body, headers)
        if not valid:
            return None
        found = self.world.access_tokens.get(request.resource_owner_key)
        return found[1] if found else None
