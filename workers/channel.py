"""The gRPC channel to the Zeebe gateway, built from `ZeebeSettings`: the one place the workers and `pbj deploy`
construct it.

- plain (`ZEEBE_ADDRESS` only): the embedded engine, the local Camunda stack;
- TLS (`ZEEBE_TLS=true`): a gateway behind TLS, verified against the system's CA certificates or the PEM file in
  `ZEEBE_CA_CERTIFICATE_PATH`;
- basic authentication (`CAMUNDA_BASIC_AUTH_USERNAME`, `CAMUNDA_BASIC_AUTH_PASSWORD`; the embedded engine with
  credentials, Camunda 8.8 self-managed with basic authentication): plain or TLS as above, every call carrying
  `authorization` metadata (`workers.authorization.authorized_channel`);
- OAuth client credentials (`ZEEBE_CLIENT_ID` and companions; Camunda SaaS, a secured self-managed cluster): TLS as
  above plus pyzeebe's client-credentials plugin, which fetches the access token and renews it before it expires.

The token is fetched on the first call, not here: building a channel touches no network.
"""

import grpc
from pyzeebe import create_insecure_channel, create_oauth2_client_credentials_channel, create_secure_channel

from workers.authorization import authorized_channel
from workers.settings import ZeebeSettings


def tls_credentials(settings: ZeebeSettings) -> grpc.ChannelCredentials | None:
    """The TLS credentials for a configured CA file; None means the system's CA certificates (pyzeebe's default)."""
    if settings.ca_certificate_path is None:
        return None
    return grpc.ssl_channel_credentials(root_certificates=settings.ca_certificate_path.read_bytes())


def create_channel(settings: ZeebeSettings) -> grpc.aio.Channel:
    """A channel to the Zeebe gateway: OAuth client credentials over TLS, basic authentication, TLS alone, or
    plain, as configured."""
    if settings.uses_oauth:
        return create_oauth2_client_credentials_channel(
            grpc_address=settings.address,
            client_id=settings.client_id or "",
            client_secret=settings.client_secret or "",
            authorization_server=settings.authorization_server_url or "",
            audience=settings.token_audience,
            channel_credentials=tls_credentials(settings),
        )
    if settings.uses_basic_auth:
        tls = (tls_credentials(settings) or grpc.ssl_channel_credentials()) if settings.tls else None
        return authorized_channel(settings.address, settings.basic_authorization, tls=tls)
    if settings.tls:
        return create_secure_channel(grpc_address=settings.address, channel_credentials=tls_credentials(settings))
    return create_insecure_channel(grpc_address=settings.address)
