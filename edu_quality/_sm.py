"""The statsmodels models the package fits, imported from the modules that define them.

Used as ``from . import _sm as sm`` where ``statsmodels.api as sm`` would be:
the same classes, but ``statsmodels.api`` also imports every other model
family (time series, state space, graphics), ≈0.4 s more at the start of each
process that builds reports.
"""

from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import OLS, WLS
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.tools import add_constant

__all__ = ["GLM", "OLS", "WLS", "MixedLM", "add_constant", "families"]
