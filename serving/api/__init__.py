"""HTTP layer: routes, dependencies, problem details, OpenAPI."""
