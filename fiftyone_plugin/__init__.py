"""Video face clustering for FiftyOne: faces -> tracks -> identities.

| Plugin entry point: ``register(p)`` registers the operators and panels listed in
| ``fiftyone.yml``.
"""


def register(p):
    from fiftyone_plugin.operators import OPERATORS
    from fiftyone_plugin.panels import PANELS

    for operator in OPERATORS + PANELS:
        p.register(operator)
