"""Temporal workflows: orchestration only; every decision is a domain function."""
