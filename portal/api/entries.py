from portal.api.blueprint import bp  # noqa: F401

ACCESS: dict = {}
