"""The `lccu` command line: thin commands over the library; errors become exit codes here."""
