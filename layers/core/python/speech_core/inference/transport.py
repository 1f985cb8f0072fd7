"""The wire to Triton: one `infer` call over gRPC or HTTP, built on tritonclient.

`TritonTransport` is the port the typed client talks to (unit tests pass a fake). The two implementations
keep one tritonclient connection for their lifetime; `get_transport()` caches one per (protocol, URL) so a
warm Lambda reuses its channel. Every tritonclient exception leaves here as an `InferenceError`.
"""

from __future__ import annotations

import atexit
import functools
import weakref
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
from tritonclient.utils import np_to_triton_dtype

from .triton_errors import map_triton_error

WireProtocol = Literal["grpc", "http"]


@dataclass(frozen=True)
class SequenceFlags:
    """Sequence-batcher controls for a stateful model (`asr_streaming`)."""

    sequence_id: int
    start: bool = False
    end: bool = False


@dataclass(frozen=True)
class InferReply:
    outputs: dict[str, np.ndarray]
    model_version: str


class TritonTransport(Protocol):
    def infer(
        self,
        model: str,
        version: str,
        inputs: dict[str, np.ndarray],
        outputs: list[str],
        *,
        timeout_s: float,
        sequence: SequenceFlags | None = None,
    ) -> InferReply: ...

    def is_ready(self, model: str | None = None, version: str = "") -> bool: ...


def _triton_dtype(array: np.ndarray) -> str:
    return "BYTES" if array.dtype == object else np_to_triton_dtype(array.dtype)


def _grpc_channel_args(grpcclient: Any) -> list[tuple[str, int]]:
    """tritonclient's own channel options (unbounded messages, its keepalive), plus a short reconnect backoff:
    gRPC's default grows to 2 minutes, during which every call fails at once, so a Triton server that was
    restarted (a deploy, a crash) would stay unreachable long after it is back. Subchannels are shared between
    channels to one address, so a new channel alone does not help; the backoff has to be short."""
    keepalive = grpcclient.KeepAliveOptions()
    return [
        ("grpc.max_send_message_length", grpcclient.MAX_GRPC_MESSAGE_SIZE),
        ("grpc.max_receive_message_length", grpcclient.MAX_GRPC_MESSAGE_SIZE),
        ("grpc.keepalive_time_ms", keepalive.keepalive_time_ms),
        ("grpc.keepalive_timeout_ms", keepalive.keepalive_timeout_ms),
        ("grpc.keepalive_permit_without_calls", keepalive.keepalive_permit_without_calls),
        ("grpc.http2.max_pings_without_data", keepalive.http2_max_pings_without_data),
        ("grpc.initial_reconnect_backoff_ms", 250),
        ("grpc.min_reconnect_backoff_ms", 250),
        ("grpc.max_reconnect_backoff_ms", 2000),
    ]


class GrpcTransport:
    """gRPC (the default: lower overhead, thread-safe channel, deadlines per call)."""

    def __init__(self, url: str) -> None:
        import tritonclient.grpc as grpcclient  # cold start: only the configured protocol's client (grpcio) loads

        self._module = grpcclient
        self.url = url
        self._client = grpcclient.InferenceServerClient(url=url, channel_args=_grpc_channel_args(grpcclient))
        _OPEN_GRPC_TRANSPORTS.add(self)

    def close(self) -> None:
        """Close the channel and drop the client (its __del__ then runs now, while grpc is importable)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def infer(
        self,
        model: str,
        version: str,
        inputs: dict[str, np.ndarray],
        outputs: list[str],
        *,
        timeout_s: float,
        sequence: SequenceFlags | None = None,
    ) -> InferReply:
        try:
            infer_inputs = []
            for name, array in inputs.items():
                tensor = self._module.InferInput(name, list(array.shape), _triton_dtype(array))
                tensor.set_data_from_numpy(array)
                infer_inputs.append(tensor)
            requested = [self._module.InferRequestedOutput(name) for name in outputs]
            seq = sequence or SequenceFlags(0)
            result = self._client.infer(
                model,
                infer_inputs,
                model_version=version,
                outputs=requested,
                client_timeout=timeout_s,
                sequence_id=seq.sequence_id,
                sequence_start=seq.start,
                sequence_end=seq.end,
            )
            return InferReply(
                {name: result.as_numpy(name) for name in outputs}, str(result.get_response().model_version)
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a typed InferenceError
            raise map_triton_error(exc, model=model, version=version) from exc

    def is_ready(self, model: str | None = None, version: str = "") -> bool:
        try:
            if model is None:
                return bool(self._client.is_server_ready(client_timeout=2.0))
            return bool(self._client.is_model_ready(model, version, client_timeout=2.0))
        except Exception:  # noqa: BLE001 - readiness is a yes/no question
            return False


class HttpTransport:
    """HTTP/JSON+binary. Timeouts are per connection (tritonclient's HTTP client has no per-call deadline)."""

    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        import tritonclient.http as httpclient  # cold start: only the configured protocol's client (gevent) loads

        self._module = httpclient
        self.url = url
        self._client = httpclient.InferenceServerClient(
            url=url, connection_timeout=timeout_s, network_timeout=timeout_s
        )

    def infer(
        self,
        model: str,
        version: str,
        inputs: dict[str, np.ndarray],
        outputs: list[str],
        *,
        timeout_s: float,
        sequence: SequenceFlags | None = None,
    ) -> InferReply:
        try:
            infer_inputs = []
            for name, array in inputs.items():
                tensor = self._module.InferInput(name, list(array.shape), _triton_dtype(array))
                tensor.set_data_from_numpy(array, binary_data=True)
                infer_inputs.append(tensor)
            requested = [self._module.InferRequestedOutput(name, binary_data=True) for name in outputs]
            seq = sequence or SequenceFlags(0)
            result = self._client.infer(
                model,
                infer_inputs,
                model_version=version,
                outputs=requested,
                sequence_id=seq.sequence_id,
                sequence_start=seq.start,
                sequence_end=seq.end,
            )
            return InferReply(
                {name: result.as_numpy(name) for name in outputs},
                str(result.get_response().get("model_version", version)),
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a typed InferenceError
            raise map_triton_error(exc, model=model, version=version) from exc

    def is_ready(self, model: str | None = None, version: str = "") -> bool:
        try:
            if model is None:
                return bool(self._client.is_server_ready())
            return bool(self._client.is_model_ready(model, version))
        except Exception:  # noqa: BLE001 - readiness is a yes/no question
            return False


_OPEN_GRPC_TRANSPORTS: weakref.WeakSet[GrpcTransport] = weakref.WeakSet()


@atexit.register
def _close_grpc_transports() -> None:
    # left to the interpreter's teardown, tritonclient's __del__ fails noisily once grpc's globals are gone
    for transport in list(_OPEN_GRPC_TRANSPORTS):
        transport.close()


@functools.cache
def get_transport(url: str, protocol: WireProtocol = "grpc", timeout_s: float = 30.0) -> TritonTransport:
    """One transport per (URL, protocol) per process: warm invocations reuse the connection."""
    if protocol == "grpc":
        return GrpcTransport(url)
    if protocol == "http":
        return HttpTransport(url, timeout_s)
    raise ValueError(f"unknown protocol {protocol!r}: use 'grpc' or 'http'")
