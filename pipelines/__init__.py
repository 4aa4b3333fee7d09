"""Dagster pipelines: software-defined assets that wire ingest, dbt and (later) models_ml.

``pipelines.definitions.defs`` is the one ``Definitions`` object (loaded by ``workspace.yaml``).
"""
