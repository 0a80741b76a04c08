"""Training: one step, an epoch's batches, the optimisers, recipes and checkpoints
(the model configs are ``attnseq.models.config``).

    trainer.py     TrainConfig, Trainer (step, fit), History, accuracy
    optim.py       SGD, Adam, gradient clipping, learning-rate schedules
    batches.py     how an epoch is cut into batches; the padding a batch leaves out
    recipes.py     named training recipes (the book's, the Transformer's, ...)
    checkpoint.py  model directories: weights.npz + config.json, never pickle
    npz_guard.py   weights.npz read member by member, headers checked before allocating
    atomic.py      a finished directory put in place in one step; killed saves recovered
"""
