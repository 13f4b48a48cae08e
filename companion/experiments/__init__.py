"""What the chapters share, built on the framework versions: sweeps, ensembles, statistics, plots.

Each module's docstring names the chapters that use it. Nothing below :mod:`companion.torch` or
:mod:`companion.keras` imports from here (a test checks it).
"""
