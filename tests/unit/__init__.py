"""Pure rules: no app, no database, milliseconds."""
