"""Downline: the platform that runs a network-marketing company."""

__version__ = "0.1.0"
