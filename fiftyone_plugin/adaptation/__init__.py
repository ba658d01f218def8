"""Self-supervised adaptation (MMEngine). Only the registry exists so far."""
