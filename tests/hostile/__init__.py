"""Hostile statement files: see README.md here."""
