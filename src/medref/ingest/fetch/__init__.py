"""Fetchers for public sources (PubMed, DailyMed, ClinicalTrials.gov, MeSH, DrugBank vocabulary).

The only part of medref that uses the network, and only when ``medref fetch ...`` runs.
See docs/fetch.md. :func:`medref.ingest.fetch.sources.build` makes a configured fetcher.
"""
