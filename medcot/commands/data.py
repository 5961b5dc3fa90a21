"""CLI verbs for the dataset: ``build`` (Hub-ready folder), ``push`` (upload), ``stats`` (its make-up),
and ``push-metric`` (the metric's Space)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer

from medcot import constants as schema  # light: no `datasets` import at CLI start-up
from medcot.commands.input_options import ENCODING, MAX_DECOMPRESSED_MB, MAX_RATIO, MAX_XLSX_CELLS, limits_from

logger = logging.getLogger(__name__)


def build_cmd(
    out: Path = typer.Option(..., "--out", help="Folder to write: it becomes the Hub dataset repo."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Raw release file or folder (default: the synthetic dummy release bundled with the package)."),
    license_id: str = typer.Option(schema.DEFAULT_DATA_LICENSE, "--license", help="Data licence id for the card (the release publishes none)."),
    aliases: Optional[Path] = typer.Option(None, "--aliases", help="Extra column-alias file (English/Chinese column names)."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Rejects report JSONL (default: <out>.rejects.jsonl beside --out)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a previous build in --out (other files are kept)."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip loading every config back with datasets.load_dataset."),
    repo_id: str = typer.Option("org/medcot", "--repo", help="Repo id shown in the card's loading examples (`medcot push --repo` rewrites it to the target)."),
    synthetic: Optional[bool] = typer.Option(None, "--synthetic/--not-synthetic", help="Mark the card as synthetic data (default: when records of the bundled synthetic release are among the data)."),
    seed: int = typer.Option(schema.DEFAULT_SPLIT_SEED, "--seed", help="Seed of the stratified split for records without a split of their own."),
    encoding: Optional[str] = ENCODING,
    max_decompressed_mb: float = MAX_DECOMPRESSED_MB,
    max_xlsx_cells: int = MAX_XLSX_CELLS,
    max_ratio: float = MAX_RATIO,
    figures: Optional[bool] = typer.Option(None, "--figures/--no-figures", help="Draw the dataset's make-up into figures/ and embed it in the card (default: when matplotlib and a CJK font are installed; --figures makes it an error when they are not)."),
) -> None:
    """Build a Hub-ready dataset folder: data/<config>/<split>-*.parquet + README.md card (+ figures/)."""
    from medcot import card, export

    result = export.build(
        out, data_dir=data_dir, license_id=license_id, aliases=aliases, rejects_path=rejects,
        overwrite=overwrite, verify=not no_verify, repo_id=repo_id, synthetic=synthetic, seed=seed,
        encoding=encoding, limits=limits_from(max_decompressed_mb, max_xlsx_cells, max_ratio), figures=figures,
    )
    if result.synthetic_records:
        typer.secho(
            f"note: {result.synthetic_records} of {result.records} records are the bundled SYNTHETIC dummy release's (the card says so)",
            fg=typer.colors.YELLOW,
        )
    elif result.synthetic:
        typer.secho("note: marked SYNTHETIC with --synthetic (the card says so)", fg=typer.colors.YELLOW)
    typer.echo(card.render_counts(result.verified or result.counts()))
    typer.echo(f"rows in = records + rejects: {result.rows_in} = {result.records} + {result.rejects}")
    typer.echo(f"rejects report: {result.rejects_path}")
    if result.figures:
        typer.echo(f"figures: {len(result.figures)} PNGs under {card.FIGURES_DIR}/, embedded in the card")
    elif figures is None:
        typer.secho(f"note: the card has no figures: {result.figures_note}", fg=typer.colors.YELLOW)
    typer.echo("verified: every config loads with datasets.load_dataset" if result.verified else "not verified (--no-verify)")
    typer.echo(f"wrote {result.out_dir}")


def push_cmd(
    folder: Path = typer.Argument(..., help="Folder written by `medcot build`."),
    repo: str = typer.Option(..., "--repo", help="Hub dataset repo id, namespace/name."),
    private: bool = typer.Option(False, "--private", help="Create the repo private."),
    revision: Optional[str] = typer.Option(None, "--revision", help="Branch to push to (default main)."),
    commit_message: Optional[str] = typer.Option(None, "--commit-message", help="Commit message."),
) -> None:
    """Upload a built folder to the Hub (token: HF_TOKEN or your saved login)."""
    from medcot.push import push

    result = push(folder, repo, private=private, revision=revision, commit_message=commit_message)
    if result.retargeted:
        typer.echo(f"card: loading examples now name {result.repo_id} (were {', '.join(result.retargeted)})")
    typer.echo(f"pushed {len(result.files)} files to {result.url}")


def push_metric_cmd(
    repo: str = typer.Option(..., "--repo", help="Hub Space repo id, namespace/medcot_rubric (evaluate.load takes the same id)."),
    package_spec: Optional[str] = typer.Option(
        None, "--package-spec",
        help="pip requirement the Space installs and the module's import hint names (default: medcot-verified==<this version>; "
             "e.g. 'medcot-verified @ git+https://host/org/repo@tag').",
    ),
    out: Optional[Path] = typer.Option(None, "--out", help="Only assemble the Space folder here (empty or new); upload nothing."),
    private: bool = typer.Option(False, "--private", help="Create the Space private."),
    revision: Optional[str] = typer.Option(None, "--revision", help="Branch to push to (default main)."),
    commit_message: Optional[str] = typer.Option(None, "--commit-message", help="Commit message."),
) -> None:
    """Assemble the metric's Space (module, metric card, gradio app, requirements.txt) and upload it."""
    from medcot import space

    if out is not None:
        files = space.assemble_space(out, repo_id=repo, package_spec=package_spec)
        typer.echo(f"assembled {len(files)} files in {out}: {', '.join(files)}")
        return
    result = space.push_metric(repo, package_spec=package_spec, private=private, revision=revision, commit_message=commit_message)
    typer.echo(f"pushed {len(result.files)} files to {result.url}")
    typer.echo(f'load it with: evaluate.load("{result.repo_id}")  (after: pip install "{package_spec or space.default_package_spec()}")')


def stats_cmd(
    folder: Path = typer.Argument(..., help="Folder written by `medcot build`."),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
    figures: bool = typer.Option(False, "--figures", help="Also write PNGs of the dataset's make-up (splits, departments, question types, lengths, rubric scores)."),
    figures_dir: Optional[Path] = typer.Option(None, "--figures-dir", help="Where --figures writes (default: FOLDER/figures, where the card links them)."),
) -> None:
    """Print per-config/split row counts and the card statistics of a built folder (--figures: and draw them)."""
    import pyarrow.parquet as pq

    from medcot import card

    if figures:
        from medcot.plots import fonts

        fonts.find_cjk_font()  # a missing font or matplotlib is reported before any reading

    counts = {
        cfg: {split: sum(pq.ParquetFile(folder / rel).metadata.num_rows for rel in paths) for split, paths in splits.items()}
        for cfg, splits in card.config_files(card.read_card_data(folder)).items()
    }
    acc = card.accumulate_folder(folder)
    stats = acc.result()
    drawn = []
    if figures:
        from medcot.plots.dataset import draw_dataset_figures

        drawn = [str(f.path) for f in draw_dataset_figures(acc, figures_dir or folder / card.FIGURES_DIR)]
    if as_json:
        import json

        extra = {"figures": drawn} if figures else {}
        typer.echo(json.dumps({"counts": counts, "statistics": stats, **extra}, ensure_ascii=False, indent=2))
        return
    typer.echo(card.render_counts(counts))
    typer.echo("")
    typer.echo(card.render_statistics(stats))
    for path in drawn:
        typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""
    app.command("build")(build_cmd)
    app.command("push")(push_cmd)
    app.command("push-metric")(push_metric_cmd)
    app.command("stats")(stats_cmd)
