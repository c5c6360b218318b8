"""Code generators run by `nox -s generate`: the resource facade and the migration page, both made from the spec.

Nothing here runs when the client is used; the outputs are committed and checked for drift like `generated/`.
"""
