"""The sync engine: pushed mutations become domain calls; pulls serve the scoped change feed."""
