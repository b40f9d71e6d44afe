"""A small OpenID Connect provider for the tests, served over HTTP on a free local port: discovery, keys, an
authorization endpoint that approves the configured person at once, a token endpoint issuing RS256-signed ID
tokens (checking the client, the one-time code and the PKCE verifier, as a real provider does), userinfo and
end-session. A test sets who signs in (`person`) and how the next ID token is spoilt (`spoil`)."""
import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "inclusive-access-test"
CLIENT_SECRET = "test-only-client-secret"  # noqa: S105 - the fake provider's, never a real one


def new_key(kid: str = "provider-key-1") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


class FakeProvider:
    """The provider and what it has seen: the authorization requests, and the sign-outs asked of it."""

    def __init__(self):
        self.key = new_key()
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.reset()

    def reset(self) -> None:
        #: the person who signs in next: their claims, whatever the provider would say of them
        self.person = {"sub": "a1b2c3d4-0001", "name": "Priya Shah", "email": "priya.shah@nhs.net",
                       "nhsid_nrbac_roles": [{"person_roleid": "555", "org_code": "RX1",
                                              "role_code": "S8000:G8000:R8001"}]}
        #: claims that go only to the userinfo endpoint (CIS2 gives its roles there)
        self.userinfo_only: set[str] = set()
        #: how the next ID token is spoilt: claim overrides, or "signing_key" for a key the provider never published
        self.spoil: dict = {}
        self.authorizations: list[dict] = []
        self.ended: list[dict] = []
        self.codes: dict[str, dict] = {}

    def start(self) -> "FakeProvider":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wsgi(self, environ, start_response):
        request = Request(environ)
        handler = {"/.well-known/openid-configuration": self.discovery, "/jwks": self.jwks,
                   "/authorize": self.authorize, "/token": self.token, "/userinfo": self.userinfo,
                   "/end-session": self.end_session}.get(request.path)
        response = handler(request) if handler else Response("not found", 404)
        return response(environ, start_response)

    def discovery(self, _request: Request) -> Response:
        return _json({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                      "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                      "userinfo_endpoint": f"{self.issuer}/userinfo",
                      "end_session_endpoint": f"{self.issuer}/end-session",
                      "response_types_supported": ["code"], "subject_types_supported": ["public"],
                      "id_token_signing_alg_values_supported": ["RS256"],
                      "code_challenge_methods_supported": ["S256"]})

    def jwks(self, _request: Request) -> Response:
        return _json({"keys": [self.key.as_dict(private=False)]})

    def authorize(self, request: Request) -> Response:
        """Approve at once: the person has signed in at the provider and chosen to go back."""
        args = request.args.to_dict()
        self.authorizations.append(args)
        if (args.get("client_id") != CLIENT_ID or args.get("response_type") != "code"
                or args.get("code_challenge_method") != "S256" or not args.get("code_challenge")):
            return Response("bad authorization request", 400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"challenge": args["code_challenge"], "redirect_uri": args["redirect_uri"],
                            "nonce": args.get("nonce")}
        query = urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def token(self, request: Request) -> Response:
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return _json({"error": "invalid_client"}, 401)
        form = request.form
        issued = self.codes.pop(form.get("code", ""), None)  # a code is good once
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if issued is None or form.get("redirect_uri") != issued["redirect_uri"] or challenge != issued["challenge"]:
            return _json({"error": "invalid_grant"}, 400)
        access_token = secrets.token_urlsafe(16)
        self.codes[f"access:{access_token}"] = {}
        return _json({"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                      "id_token": self.id_token(issued["nonce"])})

    def id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce,
                  **{k: v for k, v in self.person.items() if k not in self.userinfo_only}}
        spoil = dict(self.spoil)
        key = spoil.pop("signing_key", self.key)
        claims.update(spoil)
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)

    def userinfo(self, request: Request) -> Response:
        bearer = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        if f"access:{bearer}" not in self.codes:
            return _json({"error": "invalid_token"}, 401)
        return _json(self.person)

    def end_session(self, request: Request) -> Response:
        self.ended.append(request.args.to_dict())
        return Response(status=302, headers={"Location": request.args.get("post_logout_redirect_uri", "/")})


def _json(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body), status, mimetype="application/json")


def local_path(url: str) -> str:
    """The path and query of an address the provider sent the browser back to, for the test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
