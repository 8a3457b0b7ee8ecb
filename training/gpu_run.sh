#!/usr/bin/env bash
# The run behind nearcode-code-v2, on a lent GPU machine (the `device` tool), three variants at
# once on one GPU: first-sentence queries for 2 epochs, mixed queries (first sentence or whole
# doc, half each) for 2 and for 4 epochs, each stopping by MINUTES. What comes back: each
# variant's trained layers in parts of at most 15 MB (files travel in 16 MiB) and runs.txt.
#   training/gpu_run.sh PACK START OUTDIR [MINUTES]
# Put a variant back together here:
#   cat OUTDIR/b.part* > b.safetensors
#   python training/gpu_pretrain.py assemble START b.safetensors MODEL_FOLDER
set -u
pack=$1 start=$2 out=$3 minutes=${4:-5.5}
export PYTHONPATH="$PWD/server" PYTHONUNBUFFERED=1
work=$(mktemp -d)
run() {
  local name=$1; shift
  python3 training/gpu_pretrain.py train "$pack" "$start" "$work/$name" --minutes "$minutes" "$@" \
    >"$work/$name.log" 2>&1
  echo "variant $name exit $?" >>"$work/$name.log"
}
run a --query sentence --epochs 2 &
run b --query mixed --epochs 2 &
run c --query mixed --epochs 4 &
wait
for name in a b c; do
  [ -f "$work/$name/layers.safetensors" ] && split -b 15000000 "$work/$name/layers.safetensors" "$out/$name.part"
  { echo "== $name"; cat "$work/$name/run.json" 2>/dev/null; tail -n 30 "$work/$name.log"; } >>"$out/runs.txt"
done
tail -n 8 "$work"/*.log
