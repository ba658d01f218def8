"""Video face clustering for FiftyOne."""
