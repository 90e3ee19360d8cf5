"""budgets package."""
