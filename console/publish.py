"""Uploads the built console (console/dist) to a deployed stage's console bucket and invalidates its distribution.

python console/publish.py STAGE   (make deploy runs it after `cdk deploy`; needs AWS credentials)

The bucket and distribution come from the stack's outputs (ConsoleBucketName, ConsoleDistributionId). Hashed
assets are cached for a year; index.html and the worklet are revalidated on every load. /config.json is not
uploaded: CloudFront answers it from the stage's own API URLs.
"""

from __future__ import annotations

import mimetypes
import sys
import time
from pathlib import Path

import boto3

DIST = Path(__file__).resolve().parent / "dist"


def publish(stage: str) -> None:
    stack = boto3.client("cloudformation").describe_stacks(StackName=f"speech-{stage}")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    bucket, distribution = outputs["ConsoleBucketName"], outputs["ConsoleDistributionId"]
    s3 = boto3.client("s3")
    files = [p for p in DIST.rglob("*") if p.is_file()]
    if (DIST / "index.html") not in files:
        raise SystemExit(f"{DIST}/index.html is missing: run make setup-console first")
    for path in files:
        key = path.relative_to(DIST).as_posix()
        immutable = key.startswith("assets/")
        s3.upload_file(
            str(path),
            bucket,
            key,
            ExtraArgs={
                "ContentType": mimetypes.guess_type(key)[0] or "application/octet-stream",
                "CacheControl": "public, max-age=31536000, immutable" if immutable else "no-cache",
            },
        )
    boto3.client("cloudfront").create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": str(time.time())},
    )
    print(f"console: {len(files)} files to s3://{bucket}, {outputs.get('ConsoleUrl', '')}")


if __name__ == "__main__":
    publish(sys.argv[1])
