#!/usr/bin/env bash
# The conformance suite (and the Vulkan fusion tests) on the lent NVIDIA H200: every op of every
# backend against the reference, on the GPU there. The device tool runs this from the repository
# root, carrying (git-ignored):
#   .device/tests.txz   the test bundle: tests/SwitchyardPackageTests.xctest (from
#                       `swift build -c release --build-tests -Xswiftc -enable-testing`, stripped) and
#                       tests/lib/ with every library `ldd` lists for it but the C library's own
#                       (libc, libm, libpthread, libdl, librt, the loader); xz keeps it near 25 MB
#   .device/lib/        Debian 12's libvulkan.so.1 (the machine has no Vulkan loader)
# Output: $OUT/conformance.txt.
set -u
OUT=${OUT:-/tmp/conformance-h200}; mkdir -p "$OUT"
root=$PWD
work=$(mktemp -d)
tar xJf .device/tests.txz -C "$work"
icd=$(mktemp --suffix=.json)
# As run-h200.sh: NVIDIA's EGL library as the loader's driver.
printf '{"file_format_version":"1.0.1","ICD":{"library_path":"/usr/local/nvidia/lib64/libEGL_nvidia.so.0","api_version":"1.4.312"}}' > "$icd"
cd "$work/tests" || exit 1
LD_LIBRARY_PATH=$work/tests/lib:$root/.device/lib VK_DRIVER_FILES=$icd \
    timeout 300 ./SwitchyardPackageTests.xctest SwitchyardTests.ConformanceTests,SwitchyardTests.VulkanFusionTests > "$OUT/conformance.txt" 2>&1
rc=$?
echo "exit $rc" >> "$OUT/conformance.txt"
grep -E "device under test|conformance: vulkan|Executed|error" "$OUT/conformance.txt" | tail -30
exit $rc
