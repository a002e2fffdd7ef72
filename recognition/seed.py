"""Demo organisation (being written)."""


def seed_demo(people: int, days: int, random_seed: int) -> dict:
    raise NotImplementedError
