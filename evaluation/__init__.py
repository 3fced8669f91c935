"""Evaluation and benchmark commands. They read the shared data folder given as an argument
(never copied into the repository) and print figures side by side with a reference method
measured in the same run."""
