"""App services without UI: safe paths, background jobs, the example map, browsing, comparisons."""
