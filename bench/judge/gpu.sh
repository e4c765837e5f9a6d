#!/usr/bin/env bash
# Issue 13's checks on a lent GPU machine, as one script (bench/judge/README.md, "An 8B model on a GPU").
#
# The machine reaches no package registry and starts bare, so everything travels in $CARRY
# (an ignored folder of the checkout, which bench/judge/carry.sh writes):
#   site.tar.xz      duckdb, polars, diskcache and gguf unpacked for the machine's Python (3.12)
#   llsrc.tar.xz     llama-cpp-python's sdist without models/, docs/, media/, benches/, tools/ui, .git
#   tokenizer.gguf.xz  a GGUF holding the bundled SmolLM2's tokenizer (random_gguf.py --layers 1 --hidden 8 ...)
# Steps: build llama-cpp-python with CUDA by the image's default compiler (`cc`/`c++` on its PATH),
# meanwhile write the random 8B model and a 200-item synthetic run; then
# `reportgen judge --gpu-layers -1` on 100 items through the CLI, the benchmark at n_batch 512
# and 2048 (with the two-sequence experiment, --merged), the CLI again (start-up with the cached
# model hash), the benchmark with flash attention off.
# LOCAL=1 runs the same steps on this machine's venv and llama-cpp-python with a tiny model.
set -u
OUT=${OUT:-/tmp/gpu-out}
CARRY=${CARRY:-.devcarry}
BUDGET=${BUDGET:-540}          # seconds: an optional step runs only if its expected time still fits
STEPS=${STEPS:-"cli long2048 long512 512 2048 merged cli2 fa-off"}   # the steps to run (cli: the first CLI check; merged: --merged with 2048;
# also long2048-nopdl, long2048-nographs, long2048-sync: the long items at 2048 with one CUDA setting changed,
# ifailed: those three only if long2048 failed; all2048: the 53 items at 2048 if long2048 passed)
# Since 2026-11-27 LocalJudge turns CUDA graphs off on a GPU, which ended the long2048 abort, so every step
# runs without them; ggml cannot be told to turn them back on.
mkdir -p "$OUT"
T0=$(date +%s)
el() { echo $(( $(date +%s) - T0 )); }
log() { echo "[$(el) s] $*" | tee -a "$OUT/steps.log"; }
REPO=$PWD
if [ "${LOCAL:-0}" = 1 ]; then
    PY=${PY:-.venv/bin/python}; LAYERS=0; MODEL=/tmp/gpu-local/tiny.gguf; LIMIT=4; ITEMS=2
    MODEL_ARGS="--layers 2 --hidden 256 --ffn 512 --heads 4 --kv-heads 2"; mkdir -p /tmp/gpu-local; W=/tmp/gpu-local
    export PYTHONPATH=${GGUF_PATH:-}:$REPO
else
    PY=python3; LAYERS=-1; MODEL=/tmp/llama8b-random.gguf; LIMIT=100; ITEMS=${ITEMS:-30}; MODEL_ARGS=""; W=/tmp/w
    mkdir -p $W/site $W/src
    REUSE=0; [ "$(cat $W/build.rc 2>/dev/null)" = 0 ] && REUSE=1    # a second call on the same warm machine
    { nvidia-smi -L; nproc; $PY --version; for c in cc c++ gcc g++ nvcc; do echo "$c: $(command -v $c) $($c --version 2>&1 | head -1)"; done; } \
        > "$OUT/env.txt" 2>&1
    export PYTHONPATH=$W/site:$REPO
    if [ $REUSE = 1 ]; then log "reusing the build of an earlier call"; else
    export PATH=$PATH:/usr/local/cuda/bin
    untar='import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter="tar")'
    $PY -c "$untar" "$CARRY/site.tar.xz" $W/site && $PY -c "$untar" "$CARRY/llsrc.tar.xz" $W/src \
        || { log "unpacking failed"; exit 1; }
    log "unpacked; building llama-cpp-python with CUDA (default compiler) in the background"
    ( cd $W/src/llama_cpp_python-* && CMAKE_ARGS="-DGGML_CUDA=on -DCMAKE_CUDA_ARCHITECTURES=90 -DLLAVA_BUILD=OFF" \
        CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) $PY -m pip install --no-index --no-deps --no-build-isolation \
        --target $W/llsite . > "$OUT/build.log" 2>&1; echo $? > $W/build.rc ) &
    fi
fi
$PY -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
    "$CARRY/tokenizer.gguf.xz" $W/tokenizer.gguf
if [ "${REUSE:-0}" = 0 ] || [ ! -f $MODEL.done ]; then
    log "writing the random model"
    $PY bench/judge/random_gguf.py $MODEL --tokenizer-from $W/tokenizer.gguf $MODEL_ARGS 2>&1 | tee -a "$OUT/steps.log"
    touch $MODEL.done
fi
RG="$PY -m reportgen --db $W/cli.duckdb"
rm -rf $W/synth $W/cli.duckdb*
$PY -m reportgen synth $W/synth --items 200 --seed 3 > /dev/null && $RG ingest $W/synth/synthetic.csv --run synth \
    | tail -1 | tee -a "$OUT/steps.log"
if [ "${LOCAL:-0}" != 1 ]; then
    wait
    rc=$(cat $W/build.rc); log "build exit $rc"
    if [ "$rc" != 0 ]; then tail -40 "$OUT/build.log"; exit 1; fi
    export PYTHONPATH=$W/llsite:$W/site:$REPO
    lib=$(ls $W/llsite/llama_cpp/lib/libggml-cuda.so)
    { echo "ldd $lib:"; ldd "$lib"; echo "libstdc++ symbols defined inside it: $(nm -D --defined-only "$lib" | grep -c 'St6locale')"; } \
        >> "$OUT/env.txt" 2>&1
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 > $W/gpu-mem.txt &
    SMI=$!
fi

has() { case " $STEPS " in *" $1 "*) return 0;; *) return 1;; esac; }
if has cli; then
    log "reportgen judge --gpu-layers $LAYERS --limit $LIMIT (first run: hashes the model)"
    s=$(date +%s%N)
    $RG judge --run synth --model $MODEL --gpu-layers $LAYERS --limit $LIMIT > "$OUT/cli.log" 2>&1
    rc=$?; log "judge exit $rc in $(( ($(date +%s%N) - s) / 1000000 )) ms"; tail -3 "$OUT/cli.log"
    $RG query "SELECT winner, count(*) AS n FROM verdicts JOIN runs USING (run_id) WHERE runs.name = 'synth' AND judge LIKE 'local:%' GROUP BY 1 ORDER BY 1" \
        2>&1 | tee -a "$OUT/steps.log"
    [ $rc = 0 ] || exit 1
fi

# optional steps, each run only when its expected seconds still fit in BUDGET
fits() { [ $(( $(el) + $1 )) -lt $BUDGET ]; }
# A failure shows ggml's own lines (e.g. "CUDA error: an illegal memory access was encountered", "in function
# ggml_backend_cuda_synchronize", ".../ggml-cuda.cu:109: CUDA error") and Python's stack (faulthandler), not a
# backtrace: llama_decode does not wait for the GPU, so a kernel that failed in it surfaces at the next synchronise
# (llama_get_logits_ith), and only this text says which. ENV: variables for one step (e.g. GGML_CUDA_PDL=0).
bench() {   # name, then bench.py's arguments
    local name=$1; shift
    log "bench $* ${ENV:-}"
    env ${ENV:-} GGML_NO_BACKTRACE=1 PYTHONFAULTHANDLER=1 PYTHONUNBUFFERED=1 \
        $PY bench/judge/bench.py --model $MODEL --gpu-layers $LAYERS --no-alternatives "$@" --out "$OUT/bench-$name.json" \
        > "$OUT/bench-$name.log" 2>&1 || { grep -E -i 'cuda error|error:|failed|in function|^  File|Fatal Python|item ' \
        "$OUT/bench-$name.log" | tail -16; log "bench $name failed"; FAILED="$FAILED $name"; }
    grep -E '"(bare_prompt|judge_order1|judge_overhead|order2|end_to_end|n_batch|flash|model_load|prompt_tokens|evaluated_tokens|merged)' \
        "$OUT/bench-$name.log" | tr -d '\n '; echo
}
has 512 && fits 40 && bench 512 --items $ITEMS --batch 512
has 2048 && fits 50 && bench 2048 --items $ITEMS --batch 2048 $(has merged && echo --merged)
# the example's items 31-53 (the longest prompts: 2,769 and 3,567 tokens an order), at both batches: at 2048
# they aborted on an H100 while CUDA graphs were on (bench/judge/README.md, "The abort found")
FAILED=""
has long2048 && fits 40 && bench long2048 --skip 30 --items 23 --batch 2048
# if long2048 fails, what changes it: every launch synchronous (the failing kernel named where it fails),
# programmatic dependent launch off (on by default on an H100 in this llama.cpp), CUDA graphs off.
# "ifailed" runs these three only when long2048 failed in this call.
if ! has ifailed || [ -n "$FAILED" ]; then
has long2048-sync && fits 60 && ENV="CUDA_LAUNCH_BLOCKING=1" bench long2048-sync --skip 30 --items 23 --batch 2048
has long2048-nopdl && fits 40 && ENV="GGML_CUDA_PDL=0" bench long2048-nopdl --skip 30 --items 23 --batch 2048
has long2048-nographs && fits 40 && ENV="GGML_CUDA_DISABLE_GRAPHS=1" bench long2048-nographs --skip 30 --items 23 --batch 2048
fi
has long512 && fits 40 && bench long512 --skip 30 --items 23 --batch 512
# every item of the example at 2048 (end to end over all 53), when long2048 passed ("all2048")
has all2048 && [ -z "$FAILED" ] && fits 60 && bench all2048 --items 53 --batch 2048
if has cli2 && fits 25; then
    log "reportgen judge again, --limit 20 (the model hash is cached now)"
    s=$(date +%s%N)
    $RG judge --run synth --model $MODEL --gpu-layers $LAYERS --limit 20 > "$OUT/cli2.log" 2>&1
    log "judge exit $? in $(( ($(date +%s%N) - s) / 1000000 )) ms"
    $PY -c "import time,sys; from reportgen.judge.modelhash import model_sha256; t=time.perf_counter(); model_sha256(sys.argv[1]); print(f'cached model hash: {1000*(time.perf_counter()-t):.1f} ms')" \
        $MODEL 2>&1 | tee -a "$OUT/steps.log"
fi
has fa-off && fits 40 && bench fa-off --items 20 --flash-attn off --batch 512
if [ -n "${SMI:-}" ]; then
    kill $SMI; log "GPU memory used at most: $(sort -n $W/gpu-mem.txt | tail -1) MiB"
fi
log "done${FAILED:+; failed:$FAILED}"
