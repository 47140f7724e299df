"""A relying party built on Python Authlib (Debian's python3-authlib), driven by the tests.

Authlib does the OAuth and OpenID Connect work: PKCE, the client assertion for client_secret_jwt and
private_key_jwt (RFC 7523), and the ID token's signature and claims (iss, aud, nonce, exp, at_hash).
The standard library carries the HTTP requests (Debian's Authlib comes without requests or httpx).

  authlib_rp.py authorize  < {"issuer", "client_id", "redirect_uri"}
      prints {"url", "state", "nonce", "verifier"}
  authlib_rp.py token      < {"issuer", "client_id", "redirect_uri", "callback", "state", "nonce",
                              "verifier", "method", "secret"?, "jwk"?, "alg"?}
      prints {"alg", "sub", "claims"} once the ID token validated, or exits 1 with the reason
"""
import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from authlib.common.security import generate_token
from authlib.jose import JsonWebKey, jwt
from authlib.oauth2.rfc7523 import client_secret_jwt_sign, private_key_jwt_sign
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken


def get_json(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as res:
            return json.load(res)
    except urllib.error.HTTPError as err:
        sys.exit(f"{url}: HTTP {err.code} {err.read().decode()}")


def authorize(p):
    md = get_json(f"{p['issuer']}/.well-known/openid-configuration")
    state, nonce, verifier = generate_token(24), generate_token(24), generate_token(48)
    query = urllib.parse.urlencode({
        "response_type": "code",
        "client_id": p["client_id"],
        "redirect_uri": p["redirect_uri"],
        "scope": "openid profile",
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    })
    return {"url": f"{md['authorization_endpoint']}?{query}", "state": state, "nonce": nonce, "verifier": verifier}


def token(p):
    md = get_json(f"{p['issuer']}/.well-known/openid-configuration")
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(p["callback"]).query))
    if params.get("state") != p["state"]:
        sys.exit("state mismatch")
    if "code" not in params:
        sys.exit(f"no code: {params}")
    endpoint = md["token_endpoint"]
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": p["redirect_uri"],
        "code_verifier": p["verifier"],
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    method = p["method"]
    if method == "client_secret_basic":
        pair = f"{urllib.parse.quote(p['client_id'])}:{urllib.parse.quote(p['secret'])}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        form["client_id"] = p["client_id"]
        form["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        if method == "client_secret_jwt":
            assertion = client_secret_jwt_sign(p["secret"], p["client_id"], endpoint, alg="HS256")
        elif method == "private_key_jwt":
            key = JsonWebKey.import_key(p["jwk"])
            assertion = private_key_jwt_sign(key, p["client_id"], endpoint, alg=p.get("assertion_alg", "RS256"))
        else:
            sys.exit(f"unknown method {method}")
        form["client_assertion"] = assertion.decode() if isinstance(assertion, bytes) else assertion
    tokens = get_json(endpoint, urllib.parse.urlencode(form).encode(), headers)
    keys = JsonWebKey.import_key_set(get_json(md["jwks_uri"]))
    header = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[0] + "=="))
    claims = jwt.decode(
        tokens["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": p["issuer"]}},
        claims_params={"nonce": p["nonce"], "client_id": p["client_id"], "access_token": tokens["access_token"]},
    )
    claims.validate()
    if p.get("alg") and header["alg"] != p["alg"]:
        sys.exit(f"expected an ID token signed with {p['alg']}, got {header['alg']}")
    return {"alg": header["alg"], "sub": claims["sub"], "claims": dict(claims)}


if __name__ == "__main__":
    action = sys.argv[1]
    payload = json.load(sys.stdin)
    print(json.dumps(authorize(payload) if action == "authorize" else token(payload)))
