"""The bundled synthetic sample, installed as the package `pipeline.sample` (see pyproject.toml,
package-dir); `aos demo` reads it through `pipeline.paths.SAMPLE_DIR` (importlib.resources)."""
