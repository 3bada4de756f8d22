"""Kernel generators: each writes an .xasm kernel and matching workload files."""
