"""Test doubles shared by the test-suite (no network anywhere).

``fakes.yahoo`` is an in-process Yahoo Finance: a ``curl_cffi`` session subclass that answers
yfinance's HTTP requests from hand-made listings, so yfinance's own download code runs
unchanged and offline.
"""
