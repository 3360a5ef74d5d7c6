"""Independent verification of what Latchkey signs, with PyJWT.

Reads JSON on stdin: {"jwks": {...}, "tokens": ["<jwt>", ...],
"detached": [{"body": "<exact body text>", "signature": "<protected>..<sig>"}],
"leeway": <seconds, for tests that move their clock ahead>}
and prints {"tokens": [{header, claims} | {error}], "detached": [true|false, ...]}.
"""
import base64
import json
import sys

import jwt
from jwt import PyJWKSet


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main() -> None:
    request = json.load(sys.stdin)
    keys = PyJWKSet.from_dict(request["jwks"])
    by_kid = {key.key_id: key for key in keys.keys}
    out = {"tokens": [], "detached": []}
    for token in request.get("tokens", []):
        try:
            header = jwt.get_unverified_header(token)
            key = by_kid[header["kid"]]
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["ES256"],
                options={"verify_aud": False},
                leeway=request.get("leeway", 0),
            )
            out["tokens"].append({"header": header, "claims": claims})
        except Exception as error:  # the test asserts on the message
            out["tokens"].append({"error": f"{type(error).__name__}: {error}"})
    for item in request.get("detached", []):
        protected, empty, signature = item["signature"].split(".")
        assert empty == ""
        compact = f"{protected}.{b64url(item['body'].encode())}.{signature}"
        try:
            header = jwt.get_unverified_header(compact)
            jwt.api_jws.decode_complete(compact, key=by_kid[header["kid"]], algorithms=["ES256"])
            out["detached"].append(True)
        except Exception:
            out["detached"].append(False)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
