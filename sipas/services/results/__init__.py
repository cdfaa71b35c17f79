"""The results service: the one way results are computed, stored and read.

- `compute`: the results tree of a stored round or a file (the job runner and CLI commands only);
- `tree`: the named steps that build it (indices per grouping, against the whole, ranks, changes);
- `totals`, `facts`: what a computation reads from the database; `comparability`: which earlier round counts;
- `store`: stored sets; `view`: what pages and reports show (never a computation);
- `freshness`: marking changed rounds for the debounced recomputation; `publish`, `snapshot`: frozen versions.
"""
