"""The tag stage: language (and later places, people, topics and keywords) for each article."""
