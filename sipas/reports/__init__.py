"""Reports: results -> rows (sheets/) -> .xlsx bytes (xlsx.py). No database, no Flask."""
