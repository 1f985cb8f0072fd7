"""One Powertools `Router` per area; each Lambda function serves one router (see functions/)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

#: Dhruva/Bhashini clients send `?serviceId=`; it is accepted and recorded, the registry picks the model
ServiceIdQuery = Annotated[
    str | None,
    Query(
        alias="serviceId",
        max_length=256,
        description="accepted for ULCA compatibility; the model registry "
        "chooses the model serving the requested language",
    ),
]
