"""Web import of official spreadsheets: upload, preview with every row's errors, confirm, progress."""
