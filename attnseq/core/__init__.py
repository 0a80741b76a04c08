"""What every other part of attnseq stands on, and nothing of the chapter itself:

    backend.py    the array module (NumPy, or CuPy when asked) and the dtype policy
    errors.py     AttnseqError (a one-line user error) and the checks of option values
    registry.py   Registry: the named choices (models, scores, encoders, recipes, ...)
"""
