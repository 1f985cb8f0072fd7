"""Blob storage (S3) behind a small port: audio uploads, audit copies, generated audio."""
