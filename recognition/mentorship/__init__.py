"""Mentorship: thought leaders paired with the colleagues who want to grow (issue 13)."""
