#!/usr/bin/python3
"""A federated OpenID Connect login done by a standard client that is not dive's
code: python3-requests for the browser side (cookies, redirects, the login
form), PKCE S256, the code exchanged at the token endpoint, and PyJWT checking
the ID token's signature against the realm's JWKS, its issuer, audience and
nonce.  Used by the scenario tests to prove that what dive configured works for
any client, not only for dive's own (src/client/oidc.c).

  oidc_login.py ISSUER CLIENT_ID REDIRECT_URI IDP_HINT USERNAME
  (the client secret and the password come on stdin, one per line, never argv)

Prints the ID token's claims as JSON on success (exit 0); one line on stderr
and exit 1 on failure.
"""
import base64
import hashlib
import html.parser
import http.cookiejar
import json
import secrets
import sys
import urllib.parse

import jwt
import requests


def browser_secure_contexts():
    """As browsers do, treat http://localhost as a secure context, so
    Keycloak's Secure; SameSite=None session cookies are sent back to it over
    http.  requests merges the session's cookies into a fresh jar (with the
    default policy) for every request, hence the policy class itself."""
    plain = http.cookiejar.DefaultCookiePolicy.return_ok_secure

    def return_ok_secure(self, cookie, request):
        host = urllib.parse.urlparse(request.get_full_url()).hostname
        return host in ("localhost", "127.0.0.1", "::1") or plain(self, cookie, request)

    http.cookiejar.DefaultCookiePolicy.return_ok_secure = return_ok_secure


class LoginForm(html.parser.HTMLParser):
    """The page's form that asks for a password (its action and hidden fields)."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "fields": {}, "password": False})
        elif tag == "input" and self.forms:
            if a.get("type") == "password":
                self.forms[-1]["password"] = True
            elif a.get("type") == "hidden" and a.get("name"):
                self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data.strip()

    def login(self):
        return next((f for f in self.forms if f["password"]), None)


def fail(msg):
    print("oidc_login.py: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    issuer, client_id, redirect_uri, hint, username = sys.argv[1:6]
    client_secret = sys.stdin.readline().rstrip("\n")
    password = sys.stdin.readline().rstrip("\n")
    browser_secure_contexts()
    s = requests.Session()
    disc = s.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url = disc["authorization_endpoint"] + "?" + urllib.parse.urlencode({
        "client_id": client_id, "response_type": "code", "scope": "openid profile email",
        "redirect_uri": redirect_uri, "state": state, "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256", "kc_idp_hint": hint})
    code, posted, data = None, False, None
    for _ in range(30):
        r = s.post(url, data=data, allow_redirects=False, timeout=20) if data else \
            s.get(url, allow_redirects=False, timeout=20)
        data = None
        if r.is_redirect:
            loc = urllib.parse.urljoin(url, r.headers["Location"])
            if loc.startswith(redirect_uri):
                q = urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)
                if "error" in q:
                    fail("the realm answered error " + q["error"][0])
                if q.get("state", [""])[0] != state:
                    fail("state does not match")
                code = q["code"][0]
                break
            url = loc
            continue
        if r.status_code != 200:
            fail("HTTP %d at %s" % (r.status_code, url.split("?")[0]))
        page = LoginForm()
        page.feed(r.text)
        form = page.login()
        if not form or posted:
            fail("the flow stopped at a page at %s (%s)" % (url.split("?")[0], page.title))
        posted = True
        data = dict(form["fields"], username=username, password=password)
        url = urllib.parse.urljoin(url, form["action"])
    if not code:
        fail("no authorization code")
    tok = s.post(disc["token_endpoint"], data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
        "client_id": client_id, "client_secret": client_secret, "code_verifier": verifier}, timeout=20)
    if tok.status_code != 200:
        fail("token endpoint: HTTP %d" % tok.status_code)
    id_token = tok.json()["id_token"]
    key = jwt.PyJWKClient(disc["jwks_uri"]).get_signing_key_from_jwt(id_token)
    claims = jwt.decode(id_token, key.key, algorithms=["RS256"], audience=client_id, issuer=issuer)
    if claims.get("nonce") != nonce:
        fail("nonce does not match")
    print(json.dumps(claims))


if __name__ == "__main__":
    main()
