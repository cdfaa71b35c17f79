"""Reports: results -> rows (tables.py) -> .xlsx bytes (xlsx.py). No database, no Flask."""
