"""The version of the library (the package re-exports it as ``advocacy_kpis.__version__``)."""

__version__ = "0.1.0"
