"""HTTP calls with the retry policy, sync (httpx.Client) and asyncio (httpx.AsyncClient).

A `Call` says what to send and whether it is idempotent; `decide` says, after each try, whether to raise or how
long to wait before the next one; the two transports only differ in how they send and sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import __version__
from .config import ClientConfig
from .errors import ApiError, RateLimitedError, RequestTimeoutError, SpeechError, TransportError, api_error
from .retry_policy import RetryPolicy, parse_retry_after

USER_AGENT = f"speech-client/{__version__}"


@dataclass(frozen=True)
class Call:
    method: str
    #: relative to the API URL ("v1/asr"), or an absolute URL (a presigned link: sent without the key)
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    idempotent: bool = False
    #: a body streamed from a fresh iterator on each try (uploads), with its length
    content: Callable[[], Iterator[bytes]] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def authenticated(self) -> bool:
        return not self.path.startswith(("http://", "https://"))


def _request_id(response: httpx.Response) -> str | None:
    return response.headers.get("x-request-id") or response.headers.get("x-amzn-requestid")


def error_of(response: httpx.Response) -> ApiError:
    """The typed error of an error answer."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    return api_error(
        response.status_code, body, _request_id(response), parse_retry_after(response.headers.get("retry-after"))
    )


def decide(policy: RetryPolicy, call: Call, attempt: int, outcome: httpx.Response | Exception) -> float | None:
    """Seconds to wait before trying again, or None to stop (the caller then raises or returns)."""
    if isinstance(outcome, Exception):
        return policy.backoff_s(attempt) if policy.should_retry_transport(attempt, idempotent=call.idempotent) else None
    if outcome.status_code < 400:
        return None
    if not policy.should_retry_status(outcome.status_code, attempt, idempotent=call.idempotent):
        return None
    if outcome.status_code == 429:
        retry_after = parse_retry_after(outcome.headers.get("retry-after"))
        if retry_after is not None:
            return retry_after if retry_after <= policy.max_retry_after_s else None
    return policy.backoff_s(attempt)


def transport_error(error: Exception, call: Call, attempts: int) -> SpeechError:
    tries = f" after {attempts} tries" if attempts > 1 else ""
    if isinstance(error, httpx.TimeoutException):
        return RequestTimeoutError(f"{call.method} {call.path}: no answer in time{tries} ({type(error).__name__})")
    return TransportError(f"{call.method} {call.path}: {type(error).__name__}: {error}{tries}")


def _headers(config: ClientConfig, call: Call) -> dict[str, str]:
    headers = {"user-agent": USER_AGENT, **call.headers}
    if call.authenticated:
        headers["x-api-key"] = config.api_key
    return headers


def _timeout(config: ClientConfig) -> httpx.Timeout:
    return httpx.Timeout(config.timeout_s, connect=min(10.0, config.timeout_s))


class SyncTransport:
    def __init__(
        self,
        config: ClientConfig,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.http = http or httpx.Client(base_url=config.api_url, timeout=_timeout(config), follow_redirects=False)
        self._sleep = sleep

    def send(self, call: Call) -> httpx.Response:
        """The response to `call` (any status < 400, 3xx included), after retries; else a typed error."""
        attempt = 0
        while True:
            attempt += 1
            try:
                outcome: httpx.Response | Exception = self.http.request(
                    call.method,
                    call.path,
                    json=call.json,
                    params=call.params,
                    content=call.content() if call.content else None,
                    headers=_headers(self.config, call),
                )
            except httpx.TransportError as error:
                outcome = error
            wait = decide(self.config.retry, call, attempt, outcome)
            if wait is None:
                break
            self._sleep(wait)
        if isinstance(outcome, Exception):
            raise transport_error(outcome, call, attempt) from outcome
        if outcome.status_code >= 400:
            raise error_of(outcome)
        return outcome

    def close(self) -> None:
        self.http.close()


async def _aiter(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


class AsyncTransport:
    def __init__(
        self,
        config: ClientConfig,
        http: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.http = http or httpx.AsyncClient(base_url=config.api_url, timeout=_timeout(config), follow_redirects=False)
        self._sleep = sleep

    async def send(self, call: Call) -> httpx.Response:
        """As `SyncTransport.send`, awaiting."""
        attempt = 0
        while True:
            attempt += 1
            try:
                outcome: httpx.Response | Exception = await self.http.request(
                    call.method,
                    call.path,
                    json=call.json,
                    params=call.params,
                    content=_aiter(call.content()) if call.content else None,
                    headers=_headers(self.config, call),
                )
            except httpx.TransportError as error:
                outcome = error
            wait = decide(self.config.retry, call, attempt, outcome)
            if wait is None:
                break
            await self._sleep(wait)
        if isinstance(outcome, Exception):
            raise transport_error(outcome, call, attempt) from outcome
        if outcome.status_code >= 400:
            raise error_of(outcome)
        return outcome

    async def aclose(self) -> None:
        await self.http.aclose()


__all__ = ["AsyncTransport", "Call", "RateLimitedError", "SyncTransport", "decide", "error_of"]
