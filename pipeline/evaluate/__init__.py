"""Research: back-testing the review rules and a learned risk model (`aos evaluate`).

Modules: `settings` (pipeline/data/evaluate.toml; SQL of sql/evaluate/ runs through `pipeline.sqlfiles`),
`cohort_months` (computes missing cohort months with the engine), `metrics` (Wilson intervals,
rates, verdicts), `backtest` (per criterion / pair / min_criteria), `model` (scikit-learn
models on patient_month_features), `disclosure` (small-number suppression of the outputs),
`render` (evaluate.html, CSVs, figures). See docs/evaluate.md.
"""
