"""Built-in readers, one module each; importing this package registers them in detection order."""
