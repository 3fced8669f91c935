"""Where the pipeline meets the outside world: the feed poller, page fetch and extraction."""
