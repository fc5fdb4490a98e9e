"""One module per expansion library: each opens a container and yields its entries."""
