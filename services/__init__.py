"""Local servers the project starts for itself: the Kafka broker, Redis and the demo replay server.

Used by `newsflow run` when no existing server is configured, and by the test suite.
"""
