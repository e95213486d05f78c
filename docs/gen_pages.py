"""Generate pages at build time (mkdocs-gen-files): nothing here is written into docs/.

- pages with `<!-- docgen: NAME -->` markers get the generated part (outputs, CLI, hardware,
  gallery, the scenario reference's tables of keys);
- the API reference, one page per package of the import contract's layers;
- the gallery's figures, drawn from fresh runs of the baseline and fleet scenarios;
- the notebooks, copied from notebooks/ so that mkdocs-jupyter executes and renders them.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import mkdocs_gen_files

sys.path.insert(0, str(Path(__file__).parent))
import docgen

# Pages with markers: fill each from its generators.
for page in sorted(docgen.DOCS.glob("*.md")):
    text = page.read_text(encoding="utf-8")
    wanted = docgen.markers(text)
    if wanted:
        generated = {name: docgen.GENERATORS[name]() for name in wanted}
        with mkdocs_gen_files.open(page.name, "w") as f:
            f.write(docgen.fill(text, generated))

# The API reference.
with mkdocs_gen_files.open("api/index.md", "w") as f:
    f.write(docgen.api_index())
for name in docgen.api_packages():
    with mkdocs_gen_files.open(f"api/{name}.md", "w") as f:
        f.write(docgen.api_page(name))

# The gallery's figures.
with tempfile.TemporaryDirectory() as tmp:
    for kind, path in docgen.draw(docgen.GALLERY, Path(tmp), dpi=100).items():
        with mkdocs_gen_files.open(f"gallery/{kind}.png", "wb") as f:
            f.write(path.read_bytes())

# The notebooks, executed and rendered by mkdocs-jupyter.
for notebook in sorted((docgen.ROOT / "notebooks").glob("*.ipynb")):
    with mkdocs_gen_files.open(f"notebooks/{notebook.name}", "wb") as f:
        f.write(notebook.read_bytes())
