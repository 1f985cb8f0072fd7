"""The local cloud: LocalStack for the managed services it has, plus a local runtime that plays Lambda,
API Gateway (REST and WebSocket) and SQS event-source mappings from the synthesized CDK template."""
