"""Real test documents in every format, generated from the seed disclosures."""
