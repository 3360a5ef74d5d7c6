"""Independent verification of what Latchkey signs, with PyJWT and Python's hmac.

Reads JSON on stdin:
  {"jwks": {...},
   "tokens": ["<jwt>" | {"token": "<jwt>", "audience": "<aud>", "require": ["exp", ...]}, ...],
   "shared": [{"token": "<jwt>", "secret": "<text>", "require": [...]}, ...],
   "hmac": [{"secret": "<text>", "message": "<text>"}, ...],
   "detached": [{"body": "<exact body text>", "signature": "<protected>..<sig>"}],
   "leeway": <seconds, for tests that move their clock ahead>}
and prints {"tokens": [{header, claims} | {error}], "shared": [...], "hmac": ["<hex>", ...],
"detached": [true|false, ...]}.

JWKS tokens are checked with the algorithm of the key their `kid` names
(ES256 or EdDSA), never the one their header claims; shared-secret tokens
only as HS256.
"""
import base64
import hashlib
import hmac
import json
import sys

import jwt
from jwt import PyJWKSet


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def verify_jwks_token(item, by_kid, leeway):
    if isinstance(item, str):
        item = {"token": item}
    token = item["token"]
    header = jwt.get_unverified_header(token)
    key = by_kid[header["kid"]]
    options = {"verify_aud": "audience" in item, "require": item.get("require", [])}
    claims = jwt.decode(
        token,
        key=key,
        algorithms=[key.algorithm_name],
        audience=item.get("audience"),
        options=options,
        leeway=leeway,
    )
    return {"header": header, "claims": claims}


def verify_shared_token(item, leeway):
    token = item["token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(
        token,
        key=item["secret"].encode(),
        algorithms=["HS256"],
        options={"verify_aud": False, "require": item.get("require", [])},
        leeway=leeway,
    )
    return {"header": header, "claims": claims}


def main() -> None:
    request = json.load(sys.stdin)
    leeway = request.get("leeway", 0)
    by_kid = {}
    if "jwks" in request:
        by_kid = {key.key_id: key for key in PyJWKSet.from_dict(request["jwks"]).keys}
    out = {"tokens": [], "shared": [], "hmac": [], "detached": []}
    for item in request.get("tokens", []):
        try:
            out["tokens"].append(verify_jwks_token(item, by_kid, leeway))
        except Exception as error:  # the test asserts on the message
            out["tokens"].append({"error": f"{type(error).__name__}: {error}"})
    for item in request.get("shared", []):
        try:
            out["shared"].append(verify_shared_token(item, leeway))
        except Exception as error:
            out["shared"].append({"error": f"{type(error).__name__}: {error}"})
    for item in request.get("hmac", []):
        digest = hmac.new(item["secret"].encode(), item["message"].encode(), hashlib.sha256)
        out["hmac"].append(digest.hexdigest())
    for item in request.get("detached", []):
        protected, empty, signature = item["signature"].split(".")
        assert empty == ""
        compact = f"{protected}.{b64url(item['body'].encode())}.{signature}"
        try:
            header = jwt.get_unverified_header(compact)
            key = by_kid[header["kid"]]
            jwt.api_jws.decode_complete(compact, key=key, algorithms=[key.algorithm_name])
            out["detached"].append(True)
        except Exception:
            out["detached"].append(False)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
