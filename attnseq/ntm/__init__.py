"""The Neural Turing Machine (Graves et al., 2014), the chapter's last application.

    addressing.py  content addressing, interpolation, circular shift, sharpening
    memory.py      MemoryRead, MemoryWrite (erase, then add)
    model.py       NTM, NTMConfig: an LSTM controller with read and write heads
    bits.py        the copy task's random bit sequences
    copytask.py    training on the copy task, bit errors, save and load
    viz.py         its figures (training curve, weightings over time)
"""

from attnseq.ntm.model import NTM, NTMConfig

__all__ = ["NTM", "NTMConfig"]
