"""Pond's own API (`/api/v1/`), for pipelines: reviews, the record, status.

Every call is made as a person (a personal API token, or the browser's session) and
goes through the same service functions as the pages, with the same rights and rules.
"""
