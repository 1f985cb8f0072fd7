"""Live streaming over the WebSocket API (docs/streaming.md): the protocol's state machine per connection.

`frame_order` decides, from a frame's `seq`, whether it is applied now, held ahead of a gap or ignored as a
duplicate (pure, no I/O); `stream_service` runs one WebSocket event against the connection's state in
PostgreSQL (one row lock per frame) and the stateful Triton model; `connection_push` sends the answers back
through API Gateway's @connections API; `dependencies` builds those adapters from the function's settings.
Imported by `functions/stream` only; imports the domain, ports and adapters below it, never `speech_core.api`.
"""
