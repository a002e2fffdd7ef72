"""Manager nominations: versioned categories, staged approval, a recognition wall."""
