"""Evaluation and benchmark commands. They read the shared data folder given as an argument
(never copied into the repository) and print figures side by side with a reference method
measured in the same run.

Development tooling, run from the checkout (`make eval-*`, `make bench*`): not in the wheel,
and it needs the `evaluation` extra. A command (a module with a main()) imports helper modules
only, never another command: what two commands share is a helper of its own."""
