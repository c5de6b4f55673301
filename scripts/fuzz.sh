#!/bin/sh
# The long fuzz run (issue 7): the fuzz suites (split and packed virtqueue processing, PCI
# config space and virtio-pci, MSI-X, virtio-mmio, the share-link decoder) with many more cases than `npm test` runs.
# Usage: npm run fuzz [-- CASES]   (CASES per suite, default 1000000; npm test runs 100000)
# A failure prints fast-check's seed and path, to replay with fc.assert's { seed, path }.
set -eu
cases="${1:-1000000}"
case "$cases" in
  '' | *[!0-9]* | 0) echo "usage: npm run fuzz [-- CASES]  (a positive number of cases per suite)" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
echo "fuzzing with $cases cases per suite"
FUZZ_RUNS="$cases" exec npx vitest run --project unit \
  tests/unit/virtqueue-fuzz.test.ts tests/unit/packed-queue-fuzz.test.ts tests/unit/pci-config-fuzz.test.ts tests/unit/msix-fuzz.test.ts tests/unit/mmio-fuzz.test.ts tests/unit/share-fuzz.test.ts
