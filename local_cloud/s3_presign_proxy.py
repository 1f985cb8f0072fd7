"""S3 as the played functions see it: a pass-through to LocalStack that enforces presigned URLs' permissions.

A presigned URL carries its signer's permissions: in AWS, a PUT through it succeeds only if the signing role
may s3:PutObject that key (GET/HEAD: s3:GetObject), whoever sends it. LocalStack ignores signatures, so the
runtime points every worker's S3 endpoint (`AWS_ENDPOINT_URL_S3`) here: the URLs functions presign name this
endpoint, and each function signs with its own access key id (iam_role_policies.function_access_key_id).

A request with presigned query parameters (SigV4 `X-Amz-Credential`, SigV2 `AWSAccessKeyId`) whose key is a
function's is checked against that function's role (path-style `/<bucket>/<key>`; PUT and POST uploads:
s3:PutObject, GET/HEAD: s3:GetObject, DELETE: s3:DeleteObject, GET of a bucket: s3:ListBucket); a refusal is
S3's 403 `AccessDenied` XML error. Everything else (the functions' own header-signed calls, already checked in
their worker, and any other client) goes to LocalStack unchanged: method, path and query as sent, headers
(Host, Content-Type, Content-Length, checksums) as sent, bodies streamed both ways in bounded chunks, the
answer's status and headers (ETag, Content-Length...) as LocalStack gave them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from urllib.parse import unquote
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, MultiMapping
from yarl import URL

from local_cloud.aws_call_permissions import s3_bucket_arn, s3_object_arn
from local_cloud.iam_policy_evaluator import Verdict, denial_message, evaluate
from local_cloud.iam_role_policies import RoleSpec, function_access_key_id

_CHUNK = 256 * 1024  # bytes in flight per direction and request
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",  # this server already answered 100-continue to the client
}
_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


class Signer:
    """A function whose access key may appear in presigned URLs."""

    def __init__(self, function_name: str, role: RoleSpec) -> None:
        self.function_name = function_name
        self.principal = role.principal_arn(function_name)
        self.documents = [p.document for p in role.policies]


class S3PresignProxy:
    """The aiohttp app: `app` serves it; `signers` by access key id."""

    def __init__(self, localstack_endpoint: str, roles: Mapping[str, RoleSpec]) -> None:
        self.upstream = URL(localstack_endpoint)
        self.signers = {function_access_key_id(name): Signer(name, role) for name, role in roles.items()}
        self.refused = 0
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)
        self.app.on_startup.append(self._open)
        self.app.on_cleanup.append(self._close)
        self._session: aiohttp.ClientSession | None = None

    async def _open(self, _: web.Application) -> None:
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=300),
        )

    async def _close(self, _: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        signer = self.signers.get(presigned_access_key(request.query) or "")
        # a browser's CORS preflight (OPTIONS) before a presigned PUT carries the URL's query but is never checked
        # against the signer: S3 answers it from the bucket's CORS rules alone
        if signer is not None and request.method != "OPTIONS":
            refusal = self._check(signer, request)
            if refusal is not None:
                self.refused += 1
                return refusal
        return await self._forward(request)

    def _check(self, signer: Signer, request: web.Request) -> web.Response | None:
        bucket, key = path_style_object(request.raw_path)
        if not bucket:
            return None
        action = presigned_action(request.method, key, request.query)
        resource = s3_object_arn(bucket, key) if key else s3_bucket_arn(bucket)
        verdict: Verdict = evaluate(signer.documents, action, resource)
        if verdict == "allow":
            return None
        message = denial_message(signer.principal, action, resource, verdict, quote=True)
        return access_denied(message, head=request.method == "HEAD")

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP)
        body = request.content if request.body_exists else None
        url = URL(str(self.upstream).rstrip("/") + request.raw_path, encoded=True)
        async with self._session.request(
            request.method,
            url,
            headers=headers,
            data=body,
            allow_redirects=False,
            skip_auto_headers=[h for h in _AUTO_HEADERS if h not in request.headers],
        ) as upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for name, value in upstream.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    response.headers.add(name, value)
            await response.prepare(request)
            if request.method != "HEAD":
                async for chunk in upstream.content.iter_chunked(_CHUNK):
                    await response.write(chunk)
            await response.write_eof()
            return response


def presigned_access_key(query: MultiMapping[str]) -> str | None:
    """The access key id a presigned URL was signed with (SigV4 or SigV2 query authentication)."""
    credential = query.get("X-Amz-Credential")
    if credential:
        return credential.split("/", 1)[0]
    return query.get("AWSAccessKeyId")


def path_style_object(raw_path: str) -> tuple[str, str]:
    """(bucket, key) of a path-style request path (`/bucket/key?...`); key "" for a bucket request."""
    path = raw_path.split("?", 1)[0].lstrip("/")
    bucket, _, key = path.partition("/")
    return unquote(bucket), unquote(key)


_BUCKET_ACTIONS = {
    "GET": "s3:ListBucket",
    "HEAD": "s3:ListBucket",
    "PUT": "s3:CreateBucket",
    "DELETE": "s3:DeleteBucket",
}


def presigned_action(method: str, key: str, query: MultiMapping[str]) -> str:
    """The IAM action AWS checks for a presigned request (`key` "" for the bucket itself)."""
    if not key:
        return _BUCKET_ACTIONS.get(method, "s3:PutObject")
    versioned = "versionId" in query
    if method in ("PUT", "POST"):
        return "s3:PutObject"
    if method == "DELETE":
        return (
            "s3:AbortMultipartUpload" if "uploadId" in query else "s3:DeleteObject" + ("Version" if versioned else "")
        )
    return "s3:GetObject" + ("Version" if versioned else "")


def access_denied(message: str, head: bool = False) -> web.Response:
    """S3's 403 AccessDenied answer (a HEAD answer has no body)."""
    request_id = uuid.uuid4().hex[:16].upper()
    headers = {"x-amz-request-id": request_id, "Content-Type": "application/xml"}
    if head:
        return web.Response(status=403, headers=headers)
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>AccessDenied</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    )
    return web.Response(status=403, body=body.encode(), headers=headers)
