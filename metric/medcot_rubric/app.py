"""Hugging Face Space entry point for the MedCoT rubric metric (gradio is needed only on the Space).

The module is loaded from the file next to this one, so the Space works under any repo id.
"""

from pathlib import Path

import evaluate
from evaluate.utils import launch_gradio_widget

module = evaluate.load(str(Path(__file__).with_name("medcot_rubric.py")))
launch_gradio_widget(module)
