"""Python client for the speech platform (see client/README.md)."""
