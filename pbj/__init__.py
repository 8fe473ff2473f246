"""The `pbj` command line: the user's verbs (`pbj engine`, and more as the product grows)."""
