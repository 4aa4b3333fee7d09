"""Lake domain: raw-event ingest assets, their checks, and the inbox sensor."""
