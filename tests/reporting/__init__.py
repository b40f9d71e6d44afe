"""Tests for the reporting package."""
