"""Prices (litellm's map + overrides), hourly/daily rollups, alert rules, budgets, the cost report."""
