#!/usr/bin/env bash
# The checks that need a CUDA GPU, as one short script (about 1-2 minutes on a GPU machine):
#   1. the CUDA-marked tests (mixed precision within TOLERANCE, the fp16 grad scaler, training
#      end to end on cuda in fp32/bf16/fp16), which skip on machines without a GPU;
#   2. short training runs with --device cuda in bf16 and fp16, evaluated afterwards;
#   3. the mixed-precision error figures on the GPU (benchmarks/mixed_precision_error.py).
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

for precision in bf16 fp16; do
  echo "== mixed-precision error on cuda, $precision"
  "$PY" benchmarks/mixed_precision_error.py --device cuda --precision "$precision"
done
echo "gpu_check: all passed; runs in $OUT"
