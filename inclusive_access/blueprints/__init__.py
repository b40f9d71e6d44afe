"""Blueprints, one per frontline workflow."""
