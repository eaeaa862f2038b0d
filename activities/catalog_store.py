"""Old name of stores.catalog_file, stores.catalog, kept only while starter/incidentctl (actions,
catalog_commands, forecast_commands) and tests/replay/record_histories.py import it from here."""

from stores.catalog import fetch_agreement
from stores.catalog_file import CatalogFileError, load_catalog, load_catalog_on, read_catalog_file

__all__ = ["CatalogFileError", "load_catalog_on", "read_catalog_file", "fetch_agreement", "load_catalog"]
