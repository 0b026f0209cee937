"""Moving a whole database between SQLite and PostgreSQL: one portable file, checked."""

from store.transfer.codec import TransferError
from store.transfer.export import export_database
from store.transfer.load import check_file, import_database

__all__ = ["TransferError", "check_file", "export_database", "import_database"]
