"""A small but real OpenID Connect provider on 127.0.0.1, for the login end-to-end test.

Discovery (``/.well-known/openid-configuration``), JWKS, the authorization-code flow with a
login form, PKCE (S256), client authentication (``client_secret_basic`` or ``_post``), RS256
id tokens (signed with joserfc, which Authlib uses) carrying ``nonce``, ``email`` and
``email_verified``, and a userinfo endpoint. Streamlit's ``st.login`` (Authlib underneath)
talks to it exactly as to Keycloak; nothing of Streamlit or Pantau is replaced.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey


@dataclass
class Provider:
    """The provider's state: its client, accounts (login -> claims), codes and tokens."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    accounts: dict[str, dict]
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-key"}))
    codes: dict[str, dict] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)
    logins: list[str] = field(default_factory=list)

    def metadata(self) -> dict:
        i = self.issuer
        return {"issuer": i, "authorization_endpoint": f"{i}/authorize", "token_endpoint": f"{i}/token",
                "jwks_uri": f"{i}/jwks", "userinfo_endpoint": f"{i}/userinfo", "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"], "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "grant_types_supported": ["authorization_code"]}

    def id_token(self, claims: dict, nonce: str | None) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 600, **claims}
        if nonce:
            body["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, body, self.key)


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes | str, kind: str = "application/json", headers: dict | None = None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, obj: dict, status: int = 200) -> None:
        self._send(status, json.dumps(obj), headers={"Cache-Control": "no-store"})

    def do_GET(self) -> None:
        url = urlparse(self.path)
        p = self.provider
        if url.path == "/.well-known/openid-configuration":
            return self._json(p.metadata())
        if url.path == "/jwks":
            return self._json({"keys": [p.key.as_dict(private=False)]})
        if url.path == "/authorize":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            if q.get("client_id") != p.client_id or q.get("redirect_uri") != p.redirect_uri:
                return self._send(400, "unknown client or redirect_uri", "text/plain")
            hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                             for k, v in q.items())
            return self._send(200, f"""<!doctype html><html><body><h1>Test IdP</h1>
                <form method="post" action="/authorize">{hidden}
                <label>Login <input name="login" aria-label="Login"></label>
                <label>Password <input name="password" type="password" aria-label="Password"></label>
                <button type="submit">Sign in</button></form></body></html>""", "text/html")
        if url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            claims = p.tokens.get(token)
            return self._json(claims) if claims else self._json({"error": "invalid_token"}, 401)
        return self._send(404, "not found", "text/plain")

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

    def do_POST(self) -> None:
        p = self.provider
        url = urlparse(self.path)
        form = self._form()
        if url.path == "/authorize":
            account = p.accounts.get(form.get("login", ""))
            if account is None or account["password"] != form.get("password"):
                return self._send(401, "wrong login", "text/plain")
            p.logins.append(form["login"])
            code = secrets.token_urlsafe(24)
            p.codes[code] = {"claims": account["claims"], "nonce": form.get("nonce"),
                             "challenge": form.get("code_challenge"), "redirect_uri": form.get("redirect_uri")}
            target = form["redirect_uri"] + "?" + urlencode({"code": code, "state": form.get("state", "")})
            return self._send(302, "", "text/plain", {"Location": target})
        if url.path == "/token":
            client_id, client_secret = form.get("client_id"), form.get("client_secret")
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
            if (client_id, client_secret) != (p.client_id, p.client_secret):
                return self._json({"error": "invalid_client"}, 401)
            grant = p.codes.pop(form.get("code", ""), None)
            if form.get("grant_type") != "authorization_code" or grant is None \
                    or grant["redirect_uri"] != form.get("redirect_uri"):
                return self._json({"error": "invalid_grant"}, 400)
            if grant["challenge"]:
                verifier = form.get("code_verifier", "").encode()
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
                if digest != grant["challenge"]:
                    return self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
            access = secrets.token_urlsafe(24)
            p.tokens[access] = grant["claims"]
            return self._json({"access_token": access, "token_type": "Bearer", "expires_in": 600,
                               "id_token": p.id_token(grant["claims"], grant["nonce"]),
                               "scope": "openid email profile"})
        return self._send(404, "not found", "text/plain")


@contextlib.contextmanager
def serve(port: int, *, client_id: str, client_secret: str, redirect_uri: str,
          accounts: dict[str, dict]) -> Iterator[Provider]:
    """Run the provider on ``127.0.0.1:port`` in a thread; yield its state."""
    provider = Provider(f"http://127.0.0.1:{port}", client_id, client_secret, redirect_uri, accounts)
    handler = type("Handler", (_Handler,), {"provider": provider})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
