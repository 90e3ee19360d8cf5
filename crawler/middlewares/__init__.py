"""Downloader middlewares: host and address guard, Retry-After, archive."""
