"""lm-evaluation-harness task folder: ``lm_eval --include_path <this folder> --tasks medcot_cot``.

The YAML files beside this one define ``medcot_qa_mc`` and ``medcot_cot``; ``utils.py`` holds the
functions they name. The task logic is in :mod:`medcot.integrations.tasks`.
"""
