"""Functional forms of the layers (torch.nn.functional); thin wrappers over danlu ops."""
from ._activation import *  # noqa: F401,F403
from ._loss import *  # noqa: F401,F403
from ._conv import *  # noqa: F401,F403
from ._pooling import *  # noqa: F401,F403
from ._norm import *  # noqa: F401,F403
from ._dropout import *  # noqa: F401,F403
from ._linear import *  # noqa: F401,F403
from ._padding import *  # noqa: F401,F403
from ._vision import *  # noqa: F401,F403
from ._attention import *  # noqa: F401,F403
from ._fractional import *  # noqa: F401,F403
from ..._aten_extras import conv_tbc  # noqa: F401,E402
