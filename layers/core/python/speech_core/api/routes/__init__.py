"""One Powertools `Router` per area; each Lambda function serves one router (see functions/)."""

from __future__ import annotations

from typing import Annotated, Protocol

from aws_lambda_powertools.event_handler.openapi.params import Query

#: Dhruva/Bhashini clients send `?serviceId=`: like `config.serviceId` (which wins when both are given), a serviceId
#: the model registry knows (its own or a Dhruva/Bhashini alias) selects that service; an unknown one is ignored
ServiceIdQuery = Annotated[
    str | None,
    Query(
        alias="serviceId",
        max_length=256,
        description="a serviceId of GET /v1/models or a Dhruva/Bhashini alias selects that model; an unknown one "
        "falls back to the model serving the requested language (config.serviceId wins when both are given)",
    ),
]


class _HasServiceId(Protocol):
    service_id: str | None


def use_query_service_id(config: _HasServiceId, service_id: str | None) -> None:
    """The query's `serviceId` routes the call when the body's `config.serviceId` does not say."""
    if service_id and not config.service_id:
        config.service_id = service_id
