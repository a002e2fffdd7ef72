"""People, teams, tokens and the recognition features built on the scoring spine."""
