#!/usr/bin/env bash
# Make .devcarry/, what bench/judge/gpu.sh needs on a lent GPU machine (which reaches no package registry):
# duckdb, polars, diskcache and gguf unpacked for the machine's Python 3.12; llama-cpp-python's sdist;
# the bundled SmolLM2's tokenizer in a tiny GGUF. Run from the repository root, with the package
# registries reachable: bash bench/judge/carry.sh   (then: the device tool, carry [".devcarry"],
# command "BUDGET=440 bash bench/judge/gpu.sh"). See bench/judge/README.md, "Issue 13 on a lent H200".
set -euo pipefail
PY=${PY:-.venv/bin/python}
LLAMA=${LLAMA:-0.3.36}
CARRY=.devcarry
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$CARRY"
grep -qx '/.devcarry/' .git/info/exclude 2>/dev/null || echo /.devcarry/ >> .git/info/exclude
# the versions this checkout runs, as wheels for CPython 3.12 on manylinux
versions=$("$PY" -c 'import duckdb, polars; print(duckdb.__version__, polars.__version__)')
read -r DUCKDB POLARS <<< "$versions"
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 -d "$TMP/whl" \
    "duckdb==$DUCKDB" "polars==$POLARS" "polars-runtime-32==$POLARS" diskcache gguf
mkdir "$TMP/site"
for w in "$TMP"/whl/*.whl; do "$PY" -m zipfile -e "$w" "$TMP/site"; done
tar -C "$TMP/site" -cf - . | xz -9 -T0 > "$CARRY/site.tar.xz"
# llama-cpp-python's sdist, unpacked, without what the build does not need
"$PY" -m pip download -q --no-deps --no-binary :all: -d "$TMP/sd" "llama-cpp-python==$LLAMA"
tar -C "$TMP/sd" -xzf "$TMP/sd/llama_cpp_python-$LLAMA.tar.gz"
src="$TMP/sd/llama_cpp_python-$LLAMA"
rm -rf "$src/.git" "$src/vendor/llama.cpp/.git" "$src/vendor/llama.cpp/models" "$src/vendor/llama.cpp/docs" \
       "$src/vendor/llama.cpp/media" "$src/vendor/llama.cpp/benches" "$src/vendor/llama.cpp/tools/ui" "$src/docs"
tar -C "$TMP/sd" -cf - "llama_cpp_python-$LLAMA" | xz -9 -T0 > "$CARRY/llsrc.tar.xz"
# the tokenizer, in a GGUF of one tiny layer (gguf, pure Python, from the wheel just fetched)
mkdir "$TMP/gguf" && "$PY" -m zipfile -e "$TMP"/whl/gguf-*.whl "$TMP/gguf"
PYTHONPATH="$TMP/gguf" "$PY" bench/judge/random_gguf.py "$TMP/tok.gguf" --layers 1 --hidden 8 --ffn 8 --heads 1 --kv-heads 1
xz -9c "$TMP/tok.gguf" > "$CARRY/tokenizer.gguf.xz"
ls -l "$CARRY"
