"""The newsflow command: settings, wiring of the stages, the supervisor and the live view."""
