"""Events, rulesets, the points ledger and leaderboards.

`rules` and `periods` are pure: no Flask, SQL or Redis. The other modules
feed them and store what they decide.
"""
