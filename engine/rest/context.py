"""What the REST handlers work with: the engine, where it is served, the authenticator – and the OAuth token
endpoint, which belongs to no resource."""

from dataclasses import dataclass
from urllib.parse import parse_qs

from aiohttp import web

from engine.auth import Authenticator, decode_basic
from engine.engine import Engine
from engine.rest.http import answer, raw_body


@dataclass(frozen=True)
class Context:
    engine: Engine
    host: str
    grpc_port: int
    authenticator: Authenticator

    async def issue_token(self, request: web.Request) -> web.Response:
        """`POST /oauth/token`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4) for the engine's API clients;
        the client's id and secret in the form or as basic authentication. Errors as RFC 6749 §5.2 says."""
        data = await raw_body(request)
        form = {k: v[0] for k, v in parse_qs(data.decode("utf-8", "replace")).items()}
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            pair = decode_basic(header[6:].strip())
            if pair is not None:
                client_id, client_secret = pair
        if form.get("grant_type") != "client_credentials":
            return answer({"error": "unsupported_grant_type"}, 400)
        issuer = self.authenticator.tokens
        token = issuer.issue(client_id, client_secret)
        if token is None:
            return answer({"error": "invalid_client"}, 401)
        return answer({"access_token": token, "token_type": "Bearer", "expires_in": issuer.lifetime})
