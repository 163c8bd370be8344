"""The detention questionnaire: a data file, its schema check, answer parsing and navigation."""
