"""medcot: the Human-Verified Clinical Reasoning Dataset on Hugging Face, and a rubric scorer for medical CoT."""

from medcot.errors import InputError, MedcotError
from medcot.constants import CONFIG_NAMES, RUBRIC_DIMENSIONS

__version__ = "0.2.0"

__all__ = ["CONFIG_NAMES", "RUBRIC_DIMENSIONS", "InputError", "MedcotError", "__version__"]
