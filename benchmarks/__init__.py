"""Scripts that print the figures the README quotes, each run as `python -m benchmarks.<name>`."""
