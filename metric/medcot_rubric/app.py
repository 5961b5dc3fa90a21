"""Hugging Face Space entry point for the MedCoT rubric metric (gradio is needed only on the Space)."""

import evaluate
from evaluate.utils import launch_gradio_widget

module = evaluate.load("medcot_rubric")
launch_gradio_widget(module)
