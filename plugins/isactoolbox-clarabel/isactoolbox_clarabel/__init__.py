"""Clarabel backend plugin for isactoolbox (registered as the ``clarabel`` backend family)."""
