"""incidentctl forecast: runs domain.forecast over replications in parallel, from a scenario file or the record."""
