"""The dedupe stage: republished and duplicated stories, with claims held in Redis."""
