"""The extraction step's version, stored with every parse result so `budgets reparse` knows what is stale.

Bump rule: raise the number whenever a change to parsers/numbers.py, metadata.py, regions.py,
figures.py, checks.py or disclosure.py can change any record field for some input (a new
table variant recognised, a pattern widened, a flag added or its severity changed, a pinned
division-code package upgraded). Pure refactors and test-only changes do not bump it.
"""

PARSER_VERSION = "extract-14"
