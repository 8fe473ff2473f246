"""The commands' side of the Zeebe gateway (gRPC, through pyzeebe): start a process instance, publish a message.

The channel is the workers' (`workers.channel.create_channel`): plain, TLS, basic authentication or OAuth client
credentials, from the same settings. Failures become `CommandError`s in Indonesian (refused credentials name the
settings to check); a message whose id Zeebe already holds is reported as such (`publish` returns False), which is
how a repeated command is recognised.
"""

from typing import Any

import grpc
from pyzeebe import ZeebeClient
from pyzeebe.errors import (
    InvalidJSONError,
    MessageAlreadyExistsError,
    ProcessDefinitionNotFoundError,
    PyZeebeError,
    ZeebeBackPressureError,
    ZeebeGatewayUnavailableError,
)
from pyzeebe.proto import gateway_pb2 as pb
from pyzeebe.proto.gateway_pb2_grpc import GatewayStub

from pbj.commands.errors import CommandError, CredentialsRefusedError
from pbj.invocation import command
from workers.authorization import CREDENTIAL_SETTINGS, refusal
from workers.channel import create_channel
from workers.settings import ZeebeSettings

CALL_TIMEOUT_SECONDS = 30.0


class Gateway:
    """One channel to the Zeebe gateway for the run of one command."""

    def __init__(self, settings: ZeebeSettings) -> None:
        self.settings = settings
        self._channel: grpc.aio.Channel | None = None
        self._client: ZeebeClient | None = None

    def _zeebe(self) -> ZeebeClient:
        if self._client is None:
            self._channel = create_channel(self.settings)
            self._client = ZeebeClient(self._channel, max_connection_retries=1)
        return self._client

    async def close(self) -> None:
        """Close the channel."""
        if self._channel is not None:
            await self._channel.close(grace=None)
            self._channel = self._client = None

    async def check(self) -> None:
        """Make sure the gateway answers (Topology) before anything is changed."""
        self._zeebe()
        assert self._channel is not None
        stub: Any = GatewayStub(self._channel)
        try:
            await stub.Topology(pb.TopologyRequest(), timeout=CALL_TIMEOUT_SECONDS)
        except grpc.aio.AioRpcError as exc:
            if refusal(exc) is not None:
                raise self._refused(exc) from None
            raise self._unreachable(exc.details() or exc.code().name) from None

    async def start(self, bpmn_process_id: str, variables: dict[str, Any]) -> int:
        """Create an instance of the latest version of the process; its key."""
        try:
            response = await self._zeebe().run_process(bpmn_process_id, variables)
        except ProcessDefinitionNotFoundError:
            raise not_deployed(bpmn_process_id) from None
        except (PyZeebeError, grpc.aio.AioRpcError) as exc:
            raise self._failed("Proses tidak dapat dimulai", exc) from None
        return int(response.process_instance_key)

    async def publish(
        self, name: str, correlation_key: str, variables: dict[str, Any], *, message_id: str, ttl_ms: int
    ) -> bool:
        """Publish a message; False when Zeebe still holds a message with this id (the same message again)."""
        try:
            await self._zeebe().publish_message(
                name,
                correlation_key,
                variables,
                time_to_live_in_milliseconds=ttl_ms,
                message_id=message_id,
            )
        except MessageAlreadyExistsError:
            return False
        except (PyZeebeError, grpc.aio.AioRpcError) as exc:
            raise self._failed("Pesan tidak dapat dikirim ke mesin proses", exc) from None
        return True

    async def cancel(self, process_instance_key: int) -> None:
        """Cancel a process instance (one started in a lost race)."""
        try:
            await self._zeebe().cancel_process_instance(process_instance_key)
        except (PyZeebeError, grpc.aio.AioRpcError) as exc:
            raise self._failed("Instance proses tidak dapat dibatalkan", exc) from None

    def _unreachable(self, reason: str) -> CommandError:
        return CommandError(
            f"Gateway Zeebe di {self.settings.address} tidak dapat dihubungi ({reason}). Periksa ZEEBE_ADDRESS dan "
            "pastikan mesin proses berjalan."
        )

    def _refused(self, exc: BaseException) -> CommandError:
        code = refusal(exc)
        return CredentialsRefusedError(
            f"Gateway Zeebe di {self.settings.address} menolak akses ({code.name if code else 'UNAUTHENTICATED'}): "
            f"kredensial tidak ada atau salah. Periksa {CREDENTIAL_SETTINGS}."
        )

    def _failed(self, what: str, exc: BaseException) -> CommandError:
        if refusal(exc) is not None:
            return self._refused(exc)
        if isinstance(exc, ZeebeGatewayUnavailableError):
            return self._unreachable("tidak tersedia")
        if isinstance(exc, ZeebeBackPressureError):
            return CommandError(f"{what}: mesin proses sedang sibuk; coba lagi sesaat lagi.")
        if isinstance(exc, InvalidJSONError):
            return CommandError(f"{what}: variabel ditolak sebagai JSON yang tidak sah.")
        detail = exc.details() if isinstance(exc, grpc.aio.AioRpcError) else str(exc)
        return CommandError(f"{what}: {detail or type(exc).__name__}.")


def not_deployed(bpmn_process_id: str) -> CommandError:
    """The error for a process that is not deployed."""
    return CommandError(
        f"Proses {bpmn_process_id} belum di-deploy ke mesin proses; jalankan `{command('deploy')}` terlebih dahulu."
    )
