"""What each sync task does, independent of HTTP: validated request in, ULCA response out.

Each service takes the request model and a `CallContext` (caller, call record, request id, dependencies);
routes in `speech_core.api.routes` are thin wrappers around them, and the pipeline chains them.
"""
