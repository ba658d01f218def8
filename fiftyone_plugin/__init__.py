"""Video face clustering for FiftyOne: faces -> tracks -> identities.

| Plugin entry point: ``register(p)`` registers the operators listed in ``fiftyone.yml``.
"""


def register(p):
    from fiftyone_plugin.operators import OPERATORS

    for operator in OPERATORS:
        p.register(operator)
