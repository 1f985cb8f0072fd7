"""Test authorizer: the key names the outcome; `calls` shows whether API Gateway used its cache."""

calls = 0


def handler(event, context):
    global calls
    calls += 1
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    key = headers.get("x-api-key") or (event.get("queryStringParameters") or {}).get("key") or ""
    if key == "invalid":
        raise Exception("Unauthorized")
    effect = "Deny" if key == "deny" else "Allow"
    return {
        "principalId": f"user-{key}",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": {
            "tenantId": f"tenant-{key}",
            "authorizerCalls": calls,
            "remainingMs": context.get_remaining_time_in_millis(),
        },
    }
