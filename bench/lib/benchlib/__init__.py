"""Pieces of bench/run: processes and their resource use, the broker, the systems, reports."""
