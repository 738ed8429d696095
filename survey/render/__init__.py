"""Rendered reports: the program report as HTML and as a print-ready PDF from the
same template, with charts (matplotlib's Figure API via ``analysis.plots``) drawn in
worker threads, alt text and a data table beside every chart, and numbers in the
reader's locale. Free of HTTP."""
