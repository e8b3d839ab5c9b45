"""Benchmarks: scripts that measure ProSocial under a real server (see bench/README.md)."""
