"""The dashboard's pages, one module per area. URLs import the modules directly."""
