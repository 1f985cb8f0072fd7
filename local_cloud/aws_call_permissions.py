"""Which IAM permissions an AWS SDK call needs: (action, resource ARN) pairs, as AWS authorizes them.

Stdlib only: Lambda workers load it (through iam_enforcement.py) to check every botocore call of the
function against its role before the call is sent. Input is what botocore has at that point: the service's
name, the operation's name and its API parameters (after botocore's own parameter handlers ran).

Covered with their resource-level rules: S3 (object `arn:aws:s3:::bucket/key`, bucket `arn:aws:s3:::bucket`;
HeadObject needs GetObject, ListObjects[V2]/HeadBucket need ListBucket on the bucket, CopyObject needs GetObject
on the source and PutObject on the destination, multipart uploads need PutObject, a VersionId asks for the
*Version action), SQS (queue ARN from the QueueUrl; batch calls need the single-message action), Step Functions
(StartExecution on the state machine, DescribeExecution/StopExecution on the execution, task-token answers on
the token's state machine), Secrets Manager (a name or partial ARN becomes the secret's full ARN with AWS's
6-character suffix), SSM parameters, EventBridge buses and rules, CloudWatch Logs groups and streams,
CloudWatch metrics (resource `*`), the API Gateway management API (`execute-api:ManageConnections`), SNS
topics, DynamoDB tables and Lambda functions. Any other call is checked as `<prefix>:<Operation>` on `*`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit


class Permission(NamedTuple):
    """One IAM check: `action` on `resource`; `alternatives` are other ARNs the resource may be (when the
    call does not say which, like a task token's state machine): the check passes if any of them does."""

    action: str
    resource: str
    alternatives: tuple[str, ...] = ()


class CallFacts(NamedTuple):
    """What the local cloud knows about the account besides the call itself (written by the runtime)."""

    region: str
    account: str
    state_machines: Sequence[str] = ()  # ARNs
    secrets: Sequence[str] = ()  # full ARNs, with their suffix
    execute_api_endpoints: Mapping[str, str] = {}  # local base URL (scheme://host:port) -> API id


#: IAM prefix of a botocore service whose prefix is not its signing name
_IAM_PREFIX = {"cloudwatch": "cloudwatch", "apigatewaymanagementapi": "execute-api"}
#: calls AWS answers without any IAM permission
_UNCHECKED = {("sts", "GetCallerIdentity")}


def iam_prefix(service: str, signing_name: str) -> str:
    return _IAM_PREFIX.get(service, signing_name)


def access_denied_code(service: str, protocol: str, query_compatible: bool) -> str:
    """The error code AWS gives a refused call: `AccessDenied` for S3 and query-protocol (or query-compatible,
    like SQS) services, `ForbiddenException` for the API Gateway management API, else `AccessDeniedException`."""
    if service == "apigatewaymanagementapi":
        return "ForbiddenException"
    if query_compatible or protocol in ("rest-xml", "query", "ec2"):
        return "AccessDenied"
    return "AccessDeniedException"


def permissions_for_call(
    service: str,
    signing_name: str,
    operation: str,
    params: Mapping[str, Any],
    facts: CallFacts,
    url: str | None = None,
) -> list[Permission]:
    """The permissions the call needs; all must pass. `url` is the request URL (for the management API)."""
    if (service, operation) in _UNCHECKED:
        return []
    mapper = _MAPPERS.get(service)
    if mapper is not None:
        return mapper(operation, params, facts, url)
    return [Permission(f"{iam_prefix(service, signing_name)}:{operation}", "*")]


# --- S3 ---------------------------------------------------------------------------------------------------


def s3_bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def s3_object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


_S3_BUCKET_ACTIONS = {
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "DeleteBucketPolicy": "DeleteBucketPolicy",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
}
_S3_OBJECT_ACTIONS = {
    "HeadObject": "GetObject",
    "GetObject": "GetObject",
    "SelectObjectContent": "GetObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "ListParts": "ListMultipartUploadParts",
}
#: object actions that become `<action>Version` when the call names a VersionId
_S3_VERSIONED = {"GetObject", "DeleteObject", "GetObjectAcl", "GetObjectTagging", "PutObjectTagging", "PutObjectAcl"}


def _s3(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    if operation == "ListBuckets":
        return [Permission("s3:ListAllMyBuckets", "*")]
    if params.get("Bucket") is None:
        return [Permission(f"s3:{operation}", "*")]
    bucket, key = str(params["Bucket"]), params.get("Key")
    if operation == "DeleteObjects":
        objects = (params.get("Delete") or {}).get("Objects") or []
        return [
            Permission(
                "s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject", s3_object_arn(bucket, o["Key"])
            )
            for o in objects
        ]
    if operation in ("CopyObject", "UploadPartCopy"):
        source_bucket, source_key, version = _s3_copy_source(params.get("CopySource"))
        read = "s3:GetObjectVersion" if version else "s3:GetObject"
        return [
            Permission(read, s3_object_arn(source_bucket, source_key)),
            Permission("s3:PutObject", s3_object_arn(bucket, str(key))),
        ]
    if key is None:
        return [Permission(f"s3:{_S3_BUCKET_ACTIONS.get(operation, operation)}", s3_bucket_arn(bucket))]
    action = _S3_OBJECT_ACTIONS.get(operation, operation)
    if params.get("VersionId") and action in _S3_VERSIONED:
        action += "Version"
    return [Permission(f"s3:{action}", s3_object_arn(bucket, key))]


def _s3_copy_source(source: Any) -> tuple[str, str, str | None]:
    """(bucket, key, version id) of a CopySource, given as a dict or as `bucket/key[?versionId=v]`."""
    if isinstance(source, Mapping):
        return str(source["Bucket"]), str(source["Key"]), source.get("VersionId")
    path, _, query = str(source).lstrip("/").partition("?versionId=")
    bucket, _, key = unquote(path).partition("/")
    return bucket, key, query or None


# --- SQS --------------------------------------------------------------------------------------------------

_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def sqs_queue_arn(queue_url: str, default_region: str) -> str:
    """`arn:aws:sqs:<region>:<account>:<name>` of a queue URL, in AWS's and LocalStack's URL styles."""
    parts = urlsplit(queue_url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return f"arn:aws:sqs:{default_region}:*:{queue_url}"
    account, name = segments[-2], segments[-1]
    region = default_region
    host_region = re.match(r"(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d)\.", parts.hostname or "")
    if host_region:
        region = host_region.group(1)
    elif len(segments) >= 4 and segments[-4] == "queue":
        region = segments[-3]
    return f"arn:aws:sqs:{region}:{account}:{name}"


def _sqs(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    action = f"sqs:{_SQS_BATCH.get(operation, operation)}"
    if "QueueUrl" in params:
        return [Permission(action, sqs_queue_arn(str(params["QueueUrl"]), facts.region))]
    if "QueueName" in params:
        account = params.get("QueueOwnerAWSAccountId") or facts.account
        return [Permission(action, f"arn:aws:sqs:{facts.region}:{account}:{params['QueueName']}")]
    return [Permission(action, "*")]


# --- Step Functions ---------------------------------------------------------------------------------------

_TASK_RESPONSES = {"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"}


def _states(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    action = f"states:{operation}"
    if operation in _TASK_RESPONSES:
        # AWS authorizes a task-token answer against the state machine that issued the token; a token is
        # opaque here, so any state machine of the stack may be it.
        machines = tuple(facts.state_machines) or ("*",)
        return [Permission(action, machines[0], machines[1:])]
    if operation == "CreateStateMachine":
        return [Permission(action, f"arn:aws:states:{facts.region}:{facts.account}:stateMachine:{params['name']}")]
    for name in ("executionArn", "stateMachineArn", "activityArn", "mapRunArn", "resourceArn"):
        if name in params:
            return [Permission(action, str(params[name]))]
    return [Permission(action, "*")]


# --- Secrets Manager --------------------------------------------------------------------------------------

_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def secret_arn(secret_id: str, facts: CallFacts) -> str:
    """The full ARN (with AWS's random 6-character suffix) of a secret named by name, partial or full ARN."""
    if secret_id in facts.secrets:
        return secret_id
    name = secret_id.split(":secret:", 1)[1] if secret_id.startswith("arn:") else secret_id
    for known in facts.secrets:
        known_name = _SECRET_SUFFIX.sub("", known.split(":secret:", 1)[1])
        if known_name == name:
            return known
    if secret_id.startswith("arn:"):
        return secret_id
    # unknown here: AWS would still check IAM first, against a suffix no policy can name exactly
    return f"arn:aws:secretsmanager:{facts.region}:{facts.account}:secret:{name}-??????"


def _secretsmanager(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    action = f"secretsmanager:{operation}"
    if "SecretId" in params:
        return [Permission(action, secret_arn(str(params["SecretId"]), facts))]
    if operation == "CreateSecret":
        return [Permission(action, f"arn:aws:secretsmanager:{facts.region}:{facts.account}:secret:{params['Name']}")]
    return [Permission(action, "*")]


# --- SSM --------------------------------------------------------------------------------------------------


def ssm_parameter_arn(name: str, facts: CallFacts) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:ssm:{facts.region}:{facts.account}:parameter/{name.lstrip('/')}"


def _ssm(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    action = f"ssm:{operation}"
    if "Name" in params:
        return [Permission(action, ssm_parameter_arn(str(params["Name"]), facts))]
    if "Names" in params:
        return [Permission(action, ssm_parameter_arn(str(n), facts)) for n in params["Names"]]
    if operation == "GetParametersByPath":
        path = str(params["Path"])
        return [Permission(action, f"arn:aws:ssm:{facts.region}:{facts.account}:parameter{path}")]
    return [Permission(action, "*")]


# --- EventBridge ------------------------------------------------------------------------------------------


def event_bus_arn(name_or_arn: str | None, facts: CallFacts) -> str:
    if name_or_arn and name_or_arn.startswith("arn:"):
        return name_or_arn
    return f"arn:aws:events:{facts.region}:{facts.account}:event-bus/{name_or_arn or 'default'}"


def _events(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    action = f"events:{operation}"
    if operation == "PutEvents":
        buses = dict.fromkeys(event_bus_arn(e.get("EventBusName"), facts) for e in params.get("Entries", []))
        return [Permission(action, bus) for bus in buses] or [Permission(action, event_bus_arn(None, facts))]
    rule = params.get("Rule") or (params.get("Name") if "Rule" in operation else None)
    if rule:
        bus = params.get("EventBusName")
        bus_name = str(bus).rsplit("/", 1)[-1] if bus else "default"
        path = f"rule/{rule}" if bus_name == "default" else f"rule/{bus_name}/{rule}"
        return [Permission(action, f"arn:aws:events:{facts.region}:{facts.account}:{path}")]
    if "EventBus" in operation and "Name" in params:
        return [Permission(action, event_bus_arn(str(params["Name"]), facts))]
    return [Permission(action, "*")]


# --- CloudWatch Logs and metrics --------------------------------------------------------------------------


def _logs(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    action = f"logs:{operation}"
    group = params.get("logGroupName")
    if not group:
        return [Permission(action, "*")]
    group_arn = f"arn:aws:logs:{facts.region}:{facts.account}:log-group:{group}"
    stream = params.get("logStreamName")
    return [Permission(action, f"{group_arn}:log-stream:{stream}" if stream else group_arn)]


def _cloudwatch(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    action = f"cloudwatch:{operation}"
    if "AlarmName" in params:
        return [Permission(action, f"arn:aws:cloudwatch:{facts.region}:{facts.account}:alarm:{params['AlarmName']}")]
    return [Permission(action, "*")]  # PutMetricData and the metric reads have no resource-level permissions


# --- API Gateway management API (@connections) ------------------------------------------------------------

_CONNECTION_METHODS = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}


def _management_api(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    parts = urlsplit(url or "")
    segments = [s for s in parts.path.split("/") if s]
    stage = segments[0] if segments and segments[0] != "@connections" else "$default"
    aws_host = re.match(r"([a-z0-9]+)\.execute-api\.", parts.hostname or "")
    api_id = aws_host.group(1) if aws_host else facts.execute_api_endpoints.get(f"{parts.scheme}://{parts.netloc}", "")
    method = _CONNECTION_METHODS.get(operation, "POST")
    connection = params.get("ConnectionId", "")
    resource = f"arn:aws:execute-api:{facts.region}:{facts.account}:{api_id}/{stage}/{method}/@connections/{connection}"
    return [Permission("execute-api:ManageConnections", resource)]


# --- SNS, DynamoDB, Lambda --------------------------------------------------------------------------------


def _sns(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    topic = params.get("TopicArn") or params.get("TargetArn")
    if operation == "CreateTopic":
        topic = f"arn:aws:sns:{facts.region}:{facts.account}:{params['Name']}"
    return [Permission(f"sns:{operation}", str(topic) if topic else "*")]


def _dynamodb(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    action = f"dynamodb:{operation}"
    if "TableName" in params:
        return [Permission(action, _table_arn(str(params["TableName"]), facts))]
    if "RequestItems" in params:  # BatchGetItem, BatchWriteItem: the action on each table
        return [Permission(action, _table_arn(str(t), facts)) for t in params["RequestItems"]]
    return [Permission(action, "*")]


def _table_arn(name: str, facts: CallFacts) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{facts.region}:{facts.account}:table/{name}"


_LAMBDA_ACTIONS = {
    "Invoke": "InvokeFunction",
    "InvokeAsync": "InvokeFunction",
    "InvokeWithResponseStream": "InvokeFunction",
}


def _lambda(operation: str, params: Mapping[str, Any], facts: CallFacts, url: str | None) -> list[Permission]:
    action = f"lambda:{_LAMBDA_ACTIONS.get(operation, operation)}"
    name = params.get("FunctionName")
    if not name:
        return [Permission(action, "*")]
    name = str(name)
    arn = name if name.startswith("arn:") else f"arn:aws:lambda:{facts.region}:{facts.account}:function:{name}"
    return [Permission(action, arn)]


_Mapper = Callable[[str, Mapping[str, Any], CallFacts, str | None], list[Permission]]
_MAPPERS: dict[str, _Mapper] = {
    "s3": _s3,
    "sqs": _sqs,
    "stepfunctions": _states,
    "secretsmanager": _secretsmanager,
    "ssm": _ssm,
    "events": _events,
    "logs": _logs,
    "cloudwatch": _cloudwatch,
    "apigatewaymanagementapi": _management_api,
    "sns": _sns,
    "dynamodb": _dynamodb,
    "lambda": _lambda,
}
