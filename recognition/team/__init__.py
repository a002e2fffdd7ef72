"""A manager's view of their team."""
