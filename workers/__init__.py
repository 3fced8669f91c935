"""Kafka workers: the one generic loop (runner.py) and the stages that dedupe and tag."""
