"""Values that every rate argument of the companion must refuse, with the error each must raise."""

import numpy as np

BAD_RATES = [
    (float("nan"), ValueError),
    (float("inf"), ValueError),
    (-float("inf"), ValueError),
    (-0.1, ValueError),
    (1.5, ValueError),
    ("0.5", TypeError),
    (None, TypeError),
    (True, TypeError),
    (np.bool_(False), TypeError),
    (0.5 + 0j, TypeError),
    (np.array([0.1, 0.2]), ValueError),
    ([0.1, 0.2], TypeError),
]

#: pytest ids for BAD_RATES
BAD_RATE_IDS = [repr(value) for value, _ in BAD_RATES]
