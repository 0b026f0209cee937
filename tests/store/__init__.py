"""Store tests: query functions called directly on a real Session against the run's database."""
