"""Powertools Logger, Tracer and Metrics, created once and imported everywhere.

Service name, metrics namespace, log level and tracing switch come from the environment CDK writes
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL, POWERTOOLS_TRACE_DISABLED);
every log line carries the request id and, once known, the tenant (`logger.append_keys(tenant_id=...)`).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()  # namespace: POWERTOOLS_METRICS_NAMESPACE, written by CDK (infra_cdk/names.py) alone
