#!/usr/bin/env bash
# The checks that need a CUDA GPU, as one short script (a few minutes on a GPU machine):
#   1. the CUDA-marked tests (mixed precision within TOLERANCE, the fp16 grad scaler, training
#      end to end on cuda in fp32/bf16/fp16, captured CUDA graphs against eager and their graph
#      counts), which skip on machines without a GPU;
#   2. short training runs with --device cuda in bf16 and fp16, evaluated afterwards;
#   3. the same bucketed run eager, with --compile (inductor) and with --cuda-graphs: each
#      compiled run must log compiled_graphs == distinct_shapes; the three step times printed;
#   4. a short `seqbucket bench` on the GPU (--quick, three strategies);
#   5. the mixed-precision error figures on the GPU (benchmarks/mixed_precision_error.py).
# Run from the repository root:  bash scripts/gpu_check.sh
# The .venv must hold a CUDA build of torch (the Makefile installs the CPU one).
set -euo pipefail
PY=${PY:-.venv/bin/python}
OUT=${OUT:-$(mktemp -d)}

"$PY" - <<'PYEOF'
import sys
import torch

if not torch.cuda.is_available():
    sys.exit("gpu_check: no CUDA device visible to torch " + torch.__version__)
print("torch", torch.__version__, "on", torch.cuda.get_device_name(0),
      "bf16" if torch.cuda.is_bf16_supported() else "no bf16")
PYEOF

echo "== CUDA-marked tests"
"$PY" -m pytest -q -m cuda -rs tests

for precision in bf16 fp16; do
  echo "== train japanese-vowels --device cuda --precision $precision"
  "$PY" -m seqbucket train japanese-vowels --device cuda --precision "$precision" \
    --epochs 5 --quiet --out "$OUT/jv-$precision" --force
  "$PY" -m seqbucket evaluate "$OUT/jv-$precision" japanese-vowels
done

for mode in eager compile cuda-graphs; do
  echo "== train japanese-vowels --device cuda --batching buckets:12,16,20,29 ($mode)"
  flags=(); [ "$mode" = eager ] || flags=("--$mode")
  "$PY" -m seqbucket train japanese-vowels --device cuda --batching buckets:12,16,20,29 \
    --epochs 3 --quiet --out "$OUT/jv-$mode" --force "${flags[@]}"
  "$PY" - "$OUT/jv-$mode/metrics.jsonl" "$mode" <<'PYEOF'
import json, sys

records = [json.loads(line) for line in open(sys.argv[1])]
last = records[-1]
steps = last["step"] / len(records)
print(f"{sys.argv[2]}: {1e3 * last['train_seconds'] / steps:.2f} ms/step in epoch {last['epoch']},",
      f"graphs {last.get('compiled_graphs', '-')}, distinct shapes {last['distinct_shapes']}")
if sys.argv[2] != "eager":
    assert all(r["compiled_graphs"] == r["distinct_shapes"] for r in records), records
PYEOF
done

echo "== bench japanese-vowels --quick on cuda"
"$PY" -m seqbucket bench japanese-vowels --quick --strategies pad-all,random,auto \
  --out "$OUT/bench"

for precision in bf16 fp16; do
  echo "== mixed-precision error on cuda, $precision"
  "$PY" benchmarks/mixed_precision_error.py --device cuda --precision "$precision"
done
echo "gpu_check: all passed; runs in $OUT"
