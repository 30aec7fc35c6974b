"""Recipes: one module per reproduced figure or table (and the demo)."""
