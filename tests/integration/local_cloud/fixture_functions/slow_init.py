"""Test function with a slow init phase: module-level code sleeps or burns CPU for INIT_SECONDS."""

import json
import os
import time

_INIT_STARTED = time.time()
_SECONDS = float(os.environ.get("INIT_SECONDS", "0"))
if os.environ.get("INIT_MODE") == "burn":
    _until = time.process_time() + _SECONDS
    while time.process_time() < _until:  # CPU, as heavy imports are: many at once thrash a small machine
        pass
else:
    time.sleep(_SECONDS)
_INIT_ENDED = time.time()


def handler(event, context):
    params = event.get("queryStringParameters") or {}
    if "sleep" in params:
        time.sleep(float(params["sleep"]))
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(
            {
                "initSeconds": round(_INIT_ENDED - _INIT_STARTED, 3),
                "remainingMs": context.get_remaining_time_in_millis(),
                "pid": os.getpid(),
            }
        ),
    }
