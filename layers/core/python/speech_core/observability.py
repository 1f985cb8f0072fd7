"""Powertools Logger, Tracer and Metrics, created once and imported everywhere.

Service name, log level and tracing switch come from the environment CDK writes (POWERTOOLS_SERVICE_NAME,
POWERTOOLS_LOG_LEVEL, POWERTOOLS_TRACE_DISABLED); every log line carries the request id and, once known,
the tenant (`logger.append_keys(tenant_id=...)`).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

#: the CloudWatch namespace of every platform metric (the same value CDK writes to POWERTOOLS_METRICS_NAMESPACE)
METRICS_NAMESPACE = "SpeechPlatform"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)
