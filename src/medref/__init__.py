"""medref: cited answers and drug monographs over your own medical corpus, offline."""

__version__ = "0.1.0"
