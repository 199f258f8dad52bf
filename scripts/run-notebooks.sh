#!/usr/bin/env bash
# Executes every notebook in notebooks/ headlessly with the TypeScript kernel tslab (from npm) under
# Jupyter (Debian's jupyter-nbconvert + python3-ipykernel). The notebooks import the compiled library by name
# from dist/, so the project is built first. Executed copies go to results/notebooks/. The kernel is started through
# scripts/tslab-kernel.cjs, which binds its sockets before serving (tslab races them).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
if ! "$PY" -c "import nbconvert, ipykernel" >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jupyter-nbconvert python3-ipykernel jupyter-client >/dev/null)
  else
    echo "run-notebooks: Jupyter (Debian packages jupyter-nbconvert, python3-ipykernel) is not installed" >&2
    exit 1
  fi
fi
npm run build:lib --silent
# tslab type-checks with classic (node10) module resolution, which ignores a package's self-reference:
# link the package into its own node_modules so `import("brainscore")` resolves as it does for a user.
ln -sfn .. node_modules/brainscore
KERNELS="$(mktemp -d)"
npx tslab install --python="$PY" --binary="$PWD/scripts/tslab-kernel.cjs" --prefix="$KERNELS" >/dev/null
mkdir -p results/notebooks
for nb in notebooks/*.ipynb; do
  echo "executing $nb"
  JUPYTER_PATH="$KERNELS/share/jupyter" "$PY" -m nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 \
    --output-dir results/notebooks "$nb"
done
echo "notebooks: all executed (results/notebooks/)"
