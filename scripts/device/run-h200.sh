#!/usr/bin/env bash
# Switchyard's Vulkan backend against llama.cpp's on the lent NVIDIA H200 (the device tool runs this
# from the repository root). Carried with the call (git-ignored):
#   .build-static/release/switchyard             static Switchyard build with the Vulkan backend
#   .device/bin/llama-bench                      llama.cpp 0c1e570, Vulkan backend, static (shared/device-vulkan.md)
#   (or both gzipped as .device/pack/{switchyard,llama-bench}.gz)
#   .device/lib/libvulkan.so.1, libgomp.so.1     Debian 12's Vulkan loader and OpenMP runtime
#   .device/models/{smollm2,gemma3}.header.gguf  the real models' GGUF headers, without tensor data
#   .device/gldebs/*.deb                         Debian's GL dispatch libraries (fallback, below)
# What it does: points the Vulkan loader at NVIDIA's EGL library (the machine has no loader, and the
# driver's own ICD file, naming libGLX, fails); if that finds no NVIDIA device, unpacks the GL
# dispatch libraries and points the loader at NVIDIA's GLX library instead; writes same-shape random-weight models into /tmp with
# `switchyard synthesize`; prints the GPU and `switchyard devices`; then, per model, alternates
# llama-bench and `switchyard bench` on the GPU for 3 rounds (pp512 + tg128, 3 repetitions each).
# Each result is $OUT/MODEL.TOOL.rROUND.json with its stderr beside it (.log); a tool that fails is
# noted in $OUT/failures.txt and the run goes on.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/run-h200-out}; mkdir -p "$OUT"
SY=$PWD/.build-static/release/switchyard
LB=$PWD/.device/bin/llama-bench
# The binaries may travel gzipped (.device/pack/*.gz) to stay within what one call carries.
mkdir -p "$(dirname "$SY")" "$(dirname "$LB")"
[ -f "$SY" ] || gunzip -c .device/pack/switchyard.gz > "$SY"
[ -f "$LB" ] || gunzip -c .device/pack/llama-bench.gz > "$LB"
chmod +x "$SY" "$LB" 2>/dev/null

export LD_LIBRARY_PATH=$PWD/.device/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
icd=$(mktemp --suffix=.json)
printf '{"file_format_version":"1.0.1","ICD":{"library_path":"/usr/local/nvidia/lib64/libEGL_nvidia.so.0","api_version":"1.4.312"}}' > "$icd"
export VK_DRIVER_FILES=$icd
if ! "$SY" devices 2>&1 | grep -q NVIDIA; then
    echo "EGL ICD found no NVIDIA device; trying GLX with Debian's GL dispatch libraries" >&2
    for f in .device/gldebs/*.deb; do dpkg -x "$f" /; done; ldconfig
    printf '{"file_format_version":"1.0.1","ICD":{"library_path":"/usr/local/nvidia/lib64/libGLX_nvidia.so.0","api_version":"1.4.312"}}' > "$icd"
fi

# run NAME COMMAND...: stdout to $OUT/NAME.json, stderr to $OUT/NAME.log; a failure is noted, not fatal.
run() {
    local name=$1; shift
    echo "== $name" >&2
    timeout 90 "$@" > "$OUT/$name.json" 2> "$OUT/$name.log"
    local rc=$?
    [ $rc -eq 0 ] || echo "$name: exit $rc: $(tail -n 3 "$OUT/$name.log" | tr '\n' ' ')" | tee -a "$OUT/failures.txt" >&2
}

# PROBE_ONLY=1: measure the device with the backend's kernels (`switchyard devices --probe`, the
# figures of profiles/h200.json) and stop.
if [ -n "${PROBE_ONLY:-}" ]; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$OUT/gpu.txt"
    timeout 300 "$SY" devices --probe 2>&1 | tee "$OUT/probe.txt"
    exit 0
fi

models=/tmp/switchyard-models; mkdir -p "$models"
for m in smollm2 gemma3; do
    "$SY" synthesize --like .device/models/$m.header.gguf -o "$models/$m.gguf" ||
        { echo "$m: synthesize failed" | tee -a "$OUT/failures.txt" >&2; rm -f "$models/$m.gguf"; }
done

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 | tee "$OUT/gpu.txt"
"$SY" devices 2>&1 | tee "$OUT/devices.txt"
# The device's figures for profiles/h200.json, in the same call as the benchmarks they are checked
# against (probe.txt), and once more after them (probe-after.txt) to show how much they move.
timeout 200 "$SY" devices --probe > "$OUT/probe.txt" 2>&1

# Correctness on the GPU: every op of a pass against the reference backend (per-layer NMSE,
# teacher-forced top-1 agreement, KL), on the first 2,000 characters of the evaluation text.
head -c 2000 Tests/SwitchyardTests/Fixtures/eval-text.txt > /tmp/check-text.txt
for m in smollm2 gemma3; do
    [ -f "$models/$m.gguf" ] || continue
    echo "== $m.check" >&2
    timeout 150 "$SY" check -m "$models/$m.gguf" --policy reference --policy vulkan -t 16 -f /tmp/check-text.txt > "$OUT/$m.check.txt" 2>&1 ||
        echo "$m.check: exit $?" | tee -a "$OUT/failures.txt" >&2
done

for m in smollm2 gemma3; do
    [ -f "$models/$m.gguf" ] || continue
    for r in 1 2 3; do
        run $m.llama-bench.r$r "$LB" -m "$models/$m.gguf" -ngl 99 -fa 1 -p 512 -n 128 -r 3 -o json
        run $m.switchyard.r$r "$SY" bench -m "$models/$m.gguf" --backend vulkan -p 512 -n 128 -r 3 -o json --no-profile
    done
done
# Where the GPU's time goes: the same bench once more with a timestamp after every dispatch.
for m in smollm2 gemma3; do
    [ -f "$models/$m.gguf" ] && run $m.profile "$SY" bench -m "$models/$m.gguf" --backend vulkan -p 512 -n 128 -r 2
done
timeout 200 "$SY" devices --probe > "$OUT/probe-after.txt" 2>&1
ls -l "$OUT" >&2
