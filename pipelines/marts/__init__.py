"""Marts domain: the dbt project as assets (dbt tests become asset checks) and its schedule."""
