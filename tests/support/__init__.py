"""Shared test support: a loopback page server and database helpers."""
