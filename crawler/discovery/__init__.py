"""crawler/discovery package."""
