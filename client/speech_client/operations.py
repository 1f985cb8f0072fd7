"""Every HTTPS operation of the API declared once, for both clients.

`HttpOperations` lists each operation as an `Operation`: a route of `routes` (one request) or a flow of `flows`
(several), with its public docstring. Read from a `SpeechClient` it is a method returning the result; read from
an `AsyncSpeechClient`, a coroutine method. Either way the parameters are the route's or flow's own, so type
checkers and `inspect.signature` see the real signature; each client only says how it runs a request or a flow
(`_run`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from types import MethodType
from typing import TYPE_CHECKING, Any, Concatenate, Self, overload

from . import flows, routes
from .flows import Work

if TYPE_CHECKING:
    from .async_client import AsyncSpeechClient
    from .client import SpeechClient


class Operation[**P, T]:
    """A client method built from `build`, a route or a flow: calling it runs what `build` returns.

    At run time it is a plain method (an `async def` one on a client whose `_run` is a coroutine function), with
    `build`'s parameters after `self` and the given docstring; the overloads give type checkers the same.
    """

    def __init__(self, build: Callable[P, Work[T]], doc: str | None = None) -> None:
        signature = inspect.signature(build)
        self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
        self.__doc__ = doc or build.__doc__
        self.__signature__ = signature.replace(
            parameters=[self_parameter, *signature.parameters.values()], return_annotation=inspect.Signature.empty
        )

        def method(client: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
            return client._run(build(*args, **kwargs))

        async def async_method(client: Any, /, *args: P.args, **kwargs: P.kwargs) -> Any:
            return await client._run(build(*args, **kwargs))

        self._methods: dict[bool, Callable[..., Any]] = {False: method, True: async_method}
        self.__set_name__(object, build.__name__)

    def __set_name__(self, owner: type, name: str) -> None:
        for function in self._methods.values():
            function.__name__, function.__qualname__ = name, f"{owner.__name__}.{name}"
            function.__doc__ = self.__doc__
            function.__signature__ = self.__signature__  # type: ignore[attr-defined]

    @overload
    def __get__(self, client: None, owner: type[SpeechClient]) -> Callable[Concatenate[SpeechClient, P], T]: ...
    @overload
    def __get__(
        self, client: None, owner: type[AsyncSpeechClient]
    ) -> Callable[Concatenate[AsyncSpeechClient, P], Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(self, client: None, owner: type) -> Self: ...
    @overload
    def __get__(self, client: SpeechClient, owner: type) -> Callable[P, T]: ...
    @overload
    def __get__(self, client: AsyncSpeechClient, owner: type) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, client: object, owner: type) -> Any:
        function = self._methods[inspect.iscoroutinefunction(getattr(owner, "_run", None))]
        return function if client is None else MethodType(function, client)


class HttpOperations:
    """The API's routes and multi-call operations, shared by `SpeechClient` and `AsyncSpeechClient`."""

    # --- sync inference -----------------------------------------------------------------------------------------
    recognize = Operation(
        routes.recognize,
        "Speech to text in one call (up to the sync limits: 60 s, 7.5 MB). See `transcribe` for any length.",
    )
    synthesize = Operation(routes.synthesize, "Text to speech; `result.audio_bytes()` is the first item's audio.")
    translate = Operation(routes.translate)
    transliterate = Operation(routes.transliterate)
    detect_language = Operation(routes.detect_language)
    pipeline = Operation(routes.pipeline)
    models = Operation(routes.models)
    usage = Operation(routes.usage)
    health = Operation(routes.health)

    # --- uploads and jobs ---------------------------------------------------------------------------------------
    upload = Operation(flows.upload)
    create_job = Operation(
        routes.create_job,
        "POST /v1/jobs for an upload; options as `routes.create_job` (output_formats, webhook_url...).",
    )
    submit_job = Operation(flows.submit_job)
    get_job = Operation(routes.get_job)
    list_jobs = Operation(routes.list_jobs)
    cancel_job = Operation(routes.cancel_job)
    retry_job = Operation(routes.retry_job)
    delete_job = Operation(routes.delete_job)
    wait_for_job = Operation(flows.wait_for_job)
    transcript = Operation(flows.transcript)
    download_outputs = Operation(flows.download_outputs)

    # --- any length ---------------------------------------------------------------------------------------------
    transcribe = Operation(flows.transcribe)
