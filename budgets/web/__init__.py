"""`budgets serve`: a read-only web view of the archive (Datasette plus a small plugin).

`make_app(data_dir, backend)` builds the Datasette app; the pages are in `pages`, the
flattened tables in `browse`, the hooks in `plugin`.
"""
