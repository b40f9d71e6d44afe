"""Equity reporting: aggregations for the reports and the pure statistics (intervals, gradients, SPC, suppression)."""
