"""Community survey and feedback service: multilingual surveys with pre/post trust reports."""

__version__ = "0.1.0"
