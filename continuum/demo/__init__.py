"""The demo practice generator behind `manage.py seed_demo` (fictional people only)."""
