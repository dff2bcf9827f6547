"""Security: what a writer of a shared store, a local user or a web page cannot make flowlab do."""
